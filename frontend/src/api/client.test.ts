import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, unwrap } from './client';

const response = (status: number, statusText = '') => new Response(null, { status, statusText });

/** What unwrap throws for an openapi-fetch result: the same path the pages' errors take. */
async function thrown(p: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<unknown> {
  try {
    await unwrap(p);
  } catch (e) {
    return e;
  }
  throw new Error('unwrap did not throw');
}

describe('errorMessage', () => {
  it('joins a 400’s detail with the field messages it does not repeat, then the hint', async () => {
    const e = await thrown(
      Promise.resolve({ error: { detail: 'Invalid input: name, email.', errors: { name: ['This field is required.'], email: ['Enter a valid email address.'] } }, response: response(400) }),
    );
    expect(e).toBeInstanceOf(ApiError);
    expect(errorMessage(e)).toBe('Invalid input: name, email. name: This field is required. email: Enter a valid email address.');
    const domain = new ApiError(400, { detail: 'Bad URL.', errors: { base_url: ['Bad URL.'] }, hint: 'Use https.' });
    expect(errorMessage(domain)).toBe('Bad URL. Use https.');
  });

  it('leaves field names out on request', () => {
    const e = new ApiError(400, { detail: 'Invalid input.', errors: { enabled: ['Publish it again.'] }, hint: 'See the flow.' });
    expect(errorMessage(e, { fieldNames: false })).toBe('Invalid input. Publish it again. See the flow.');
  });

  it('flattens nested and non-field errors', () => {
    const e = new ApiError(400, {
      detail: 'Invalid input: settings, fields.',
      errors: { settings: { base_url: ['Enter a valid URL.'] }, fields: [{}, { name: ['Required.'] }], non_field_errors: ['Pick one.'] } as never,
    });
    expect(errorMessage(e)).toBe('Invalid input: settings, fields. settings.base_url: Enter a valid URL. fields.1.name: Required. Pick one.');
  });

  it('says 403, 404 and 409 in the server’s words', async () => {
    const forbidden = await thrown(Promise.resolve({ error: { detail: 'You do not have permission to perform this action.' }, response: response(403) }));
    expect(errorMessage(forbidden)).toBe('You do not have permission to perform this action.');
    const missing = await thrown(Promise.resolve({ error: { detail: 'No Flow matches the given query.' }, response: response(404) }));
    expect(errorMessage(missing)).toBe('No Flow matches the given query.');
    const conflict = new ApiError(409, { detail: 'The draft was saved by bo meanwhile.', saved_by: 'bo', revision: 9 });
    expect(errorMessage(conflict)).toBe('The draft was saved by bo meanwhile.');
  });

  it('falls back to a status message, then to the error’s own message', async () => {
    const empty = await thrown(Promise.resolve({ error: {}, response: response(403, 'Forbidden') }));
    expect(errorMessage(empty)).toBe('403 Forbidden');
    expect(errorMessage(empty, { byStatus: { 403: 'You may not operate this trigger.' } })).toBe('You may not operate this trigger.');
    expect(errorMessage(new ApiError(400, { detail: '' }, 'Request failed (400)'), { byStatus: { 403: 'no' } })).toBe('Request failed (400)');
  });

  it('says the server could not be reached on a network failure', async () => {
    const e = await thrown(Promise.reject(new TypeError('Failed to fetch')));
    expect(e).toMatchObject({ status: 0 });
    expect(errorMessage(e)).toBe('The server could not be reached. Check your connection and try again.');
  });

  it('reads plain objects of ApiError’s shape, and other thrown values', () => {
    expect(errorMessage({ status: 400, body: { detail: 'Nope.' } })).toBe('Nope.');
    expect(errorMessage({ status: 0, message: 'offline', body: {} })).toBe('offline');
    expect(errorMessage({ body: undefined, message: 'fallback' })).toBe('fallback');
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(undefined, { fallback: 'Something went wrong.' })).toBe('Something went wrong.');
  });
});
