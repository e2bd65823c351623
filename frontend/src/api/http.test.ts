// @vitest-environment happy-dom
// The one client over real Request/Response objects: what reaches the server (method, path, query,
// body, CSRF header) and what a page gets back (the typed body, or an ApiError with the error body).
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ApiError, errorMessage } from './client';
import { connectionsApi } from './connections';
import { flowsApi } from './flows';
import { partnerApi } from './partner';
import { runsApi } from './runs';
import type { CustomerOverview, FlowDetail, Schemas } from './types';

interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
}

/** Answers every request with `status` and `body`; records what was sent. */
function serve(status: number, body: unknown): Sent[] {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    const text = await request.text();
    sent.push({ method: request.method, url: new URL(request.url), headers: request.headers, body: text ? JSON.parse(text) : undefined });
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return sent;
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'csrftoken=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('the typed client', () => {
  it('fills path templates and query parameters, leaving empty filters out', async () => {
    const sent = serve(200, { count: 0, next: null, previous: null, results: [] });
    const page = await runsApi.list({ organisation: 7, flow: '', status: 'failed', limit: 50, offset: 0 });
    expect(page.results).toEqual([]);
    expect(sent[0].method).toBe('GET');
    expect(sent[0].url.pathname).toBe('/api/runs/');
    expect(Object.fromEntries(sent[0].url.searchParams)).toEqual({ organisation: '7', status: 'failed', limit: '50', offset: '0' });
    await runsApi.events(12, 3);
    expect(`${sent[1].url.pathname}${sent[1].url.search}`).toBe('/api/runs/12/events/?after_seq=3');
  });

  it('sends JSON bodies with the CSRF token on unsafe methods only', async () => {
    document.cookie = 'csrftoken=tok-123';
    const sent = serve(200, { revision: 4, saved_at: null, saved_by: 'ana', findings: [] });
    const saved = await flowsApi.saveDraft(5, { schema_version: 1, nodes: [], edges: [] }, 3);
    expect(saved.revision).toBe(4);
    expect(sent[0]).toMatchObject({ method: 'PUT', body: { document: { schema_version: 1, nodes: [], edges: [] }, revision: 3 } });
    expect(sent[0].url.pathname).toBe('/api/flows/5/draft/');
    expect(sent[0].headers.get('X-CSRFToken')).toBe('tok-123');
    expect(sent[0].headers.get('Accept')).toBe('application/json');
    await flowsApi.versions(5);
    expect(sent[1].headers.get('X-CSRFToken')).toBeNull();
  });

  it('answers the generated type of the operation', async () => {
    serve(200, []);
    const rows = await partnerApi.overview(1);
    expectTypeOf(rows).toEqualTypeOf<CustomerOverview[]>();
    expectTypeOf(connectionsApi.test).returns.resolves.toEqualTypeOf<Schemas['ConnectionTest']>();
    expectTypeOf(flowsApi.get).returns.resolves.toEqualTypeOf<FlowDetail>();
    expectTypeOf(flowsApi.export).returns.resolves.toEqualTypeOf<Schemas['FlowExport']>();
    expect(rows).toEqual([]);
  });

  it('reads paginated and plain lists as rows', async () => {
    serve(200, { count: 1, next: null, previous: null, results: [{ id: 3 }] });
    expect(await connectionsApi.list(1)).toEqual([{ id: 3 }]);
  });

  it('throws an ApiError with the error body and a readable message', async () => {
    serve(400, { detail: 'Invalid input: name.', errors: { name: ['This field is required.'] } });
    const e = await flowsApi.create({ organisation: 1, name: '' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    expect(errorMessage(e)).toBe('Invalid input: name. name: This field is required.');
  });

  it('keeps the 409 conflict body for the editor’s conflict banner', async () => {
    serve(409, { detail: 'Saved by bo meanwhile.', saved_by: 'bo', saved_at: null, revision: 9 });
    const e = (await flowsApi.saveDraft(5, { schema_version: 1, nodes: [], edges: [] }, 3).catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(409);
    expect(e.body.revision).toBe(9);
  });

  it('answers an expression’s own error as a result, a refused request as an ApiError', async () => {
    serve(400, { error: 'Unclosed {{ template', position: 1 });
    expect(await flowsApi.previewExpression('{{ x')).toEqual({ error: 'Unclosed {{ template', position: 1 });
    serve(400, { detail: 'Invalid input: expression.', errors: { expression: ['This field is required.'] } });
    await expect(flowsApi.previewExpression('')).rejects.toBeInstanceOf(ApiError);
  });

  it('a delete answers nothing', async () => {
    const sent = serve(204, null);
    await expect(partnerApi.removeMember(8)).resolves.toBeUndefined();
    expect(sent[0]).toMatchObject({ method: 'DELETE' });
    expect(sent[0].url.pathname).toBe('/api/memberships/8/');
  });

  it('tells a clone from a dry run', async () => {
    serve(200, { dry_run: true, ready: 1, not_ready: 0, results: [] });
    await expect(partnerApi.dryRunClone(2, { customers: [{ customer: 5 }] })).resolves.toMatchObject({ ready: 1 });
    await expect(partnerApi.clone(2, { customers: [{ customer: 5 }] })).rejects.toThrow('checked instead of cloning');
  });
});
