// The one module that talks HTTP to the Django API. Components call these functions and never fetch().
// Typed with openapi-fetch over `paths`, generated from the API's OpenAPI schema (./schema.d.ts via ./types).
import createClient, { type Middleware } from 'openapi-fetch';
import { csrfToken } from '../config';
import type {
  ApiErrorBody, ConflictBody, Connection, FlowDetail, FlowDocument, FlowSummary, FlowVersion, Item, Me,
  NodeType, Page, PreviewResult, RunDetail, RunSummary, SaveDraftResponse, paths, Finding,
} from './types';

export class ApiError extends Error {
  constructor(
    public status: number,
    public body: ApiErrorBody & Partial<ConflictBody>,
    message?: string,
  ) {
    super(message ?? body.detail ?? `Request failed (${status})`);
  }
  get findings(): Finding[] {
    return this.body.findings ?? [];
  }
}

/** What `errorMessage` reads from an error body: ApiError's body, loosely typed (DRF may nest field errors). */
export interface ErrorBody {
  detail?: string | null;
  errors?: Record<string, unknown> | null;
  hint?: string | null;
}

/** An ApiError, or a plain object of its shape (what a wrapper or a test has at hand). */
export interface ApiErrorLike {
  status?: number;
  message?: string;
  body?: ErrorBody | null;
}

export interface ErrorMessageOptions {
  /** Prefix field messages with the field ("name: This field is required."); default true. */
  fieldNames?: boolean;
  /** What to say, by status, when the body says nothing (e.g. `{ 403: 'You may not operate this trigger.' }`). */
  byStatus?: Partial<Record<number, string>>;
  /** The last resort when neither the body nor the error has a message. */
  fallback?: string;
}

const UNNAMED_FIELDS = new Set(['non_field_errors', '__all__', 'detail']);

/** [field path, message] pairs from DRF's field errors: lists, nested serializers and list items. */
function fieldMessages(value: unknown, path: string): [string, string][] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) return value.flatMap((v) => fieldMessages(v, path));
    return value.flatMap((v, i) => fieldMessages(v, typeof v === 'object' && v !== null ? `${path}.${i}` : path));
  }
  if (typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => fieldMessages(v, UNNAMED_FIELDS.has(k) ? path : path ? `${path}.${k}` : k));
  }
  return [[path, String(value)]];
}

function isApiErrorLike(e: unknown): e is ApiErrorLike {
  if (e instanceof ApiError) return true;
  return typeof e === 'object' && e !== null && Object.getPrototypeOf(e) === Object.prototype && 'body' in e;
}

/**
 * One readable line for anything an API call throws, for toasts and inline errors: the body's detail,
 * then each field message the line does not already contain (prefixed with its field), then the hint.
 * A body that says nothing gives `byStatus[status]`, else the error's own message ("403 Forbidden";
 * for a network failure ApiError's detail says the server could not be reached). Errors that are not
 * from the API give their message.
 */
export function errorMessage(e: unknown, opts: ErrorMessageOptions = {}): string {
  const fallback = opts.fallback ?? 'The request failed.';
  if (!isApiErrorLike(e)) {
    if (e instanceof Error) return e.message || fallback;
    return e === null || e === undefined || e === '' ? fallback : String(e);
  }
  const body = e.body ?? {};
  const parts: string[] = [];
  const add = (text: string | null | undefined, field = '') => {
    const t = text?.trim();
    if (t && !parts.some((p) => p.includes(t))) parts.push(field ? `${field}: ${t}` : t);
  };
  add(body.detail);
  for (const [field, msg] of fieldMessages(body.errors, '')) add(msg, opts.fieldNames === false ? '' : field);
  add(body.hint);
  if (!parts.length && e.status !== undefined) add(opts.byStatus?.[e.status]);
  return parts.join(' ') || e.message || fallback;
}

/** Exported for src/api/connections.ts (same CSRF handling for its typed client). */
export const csrf: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRFToken', token);
    }
    request.headers.set('Accept', 'application/json');
    return request;
  },
};

const http = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
http.use(csrf);

export async function unwrap<T>(p: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  let res: { data?: unknown; error?: unknown; response: Response };
  try {
    res = await p;
  } catch (e) {
    throw new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' }, String(e));
  }
  if (!res.response.ok) {
    const body = (res.error && typeof res.error === 'object' ? res.error : { detail: String(res.error ?? '') }) as ApiErrorBody;
    throw new ApiError(res.response.status, body, body.detail || `${res.response.status} ${res.response.statusText}`);
  }
  return res.data as T;
}

export interface ListParams {
  organisation?: number;
  search?: string;
  status?: string;
  tag?: string;
  flow?: number | string;
  limit?: number;
  offset?: number;
}

type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** Filter values come from the URL as strings; the API validates them (400 on an unknown choice). */
function listQuery<P extends keyof paths>(q: ListParams): Query<P> {
  return clean(q) as unknown as Query<P>;
}

/** Ids come from route params as strings as often as numbers; the URL is the same either way. */
const byId = (id: number | string) => ({ path: { id: id as number } });

function clean<T extends object>(q: T): T {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '' && v !== null)) as T;
}

export const api = {
  me: () => unwrap<Me>(http.GET('/api/me/')),
  logout: () => unwrap<unknown>(http.POST('/api/auth/logout/')),
  nodeTypes: () => unwrap<NodeType[]>(http.GET('/api/node-types/')),
  listFlows: (q: ListParams) => unwrap<Page<FlowSummary>>(http.GET('/api/flows/', { params: { query: listQuery<'/api/flows/'>(q) } })),
  createFlow: (body: { organisation: number; name: string; description?: string; tags?: string[]; document?: FlowDocument }) =>
    unwrap<FlowDetail>(http.POST('/api/flows/', { body })),
  importFlow: (organisation: number, data: unknown) => unwrap<FlowDetail>(http.POST('/api/flows/import/', { body: { organisation, data } })),
  getFlow: (id: number | string) => unwrap<FlowDetail>(http.GET('/api/flows/{id}/', { params: byId(id) })),
  patchFlow: (id: number | string, body: { name?: string; description?: string; tags?: string[] }) =>
    unwrap<FlowDetail>(http.PATCH('/api/flows/{id}/', { params: byId(id), body })),
  saveDraft: (id: number | string, document: FlowDocument, revision: number, force = false) =>
    unwrap<SaveDraftResponse>(
      http.PUT('/api/flows/{id}/draft/', { params: byId(id), body: { document, revision, ...(force ? { force } : {}) } }),
    ),
  validate: (id: number | string, document: FlowDocument) =>
    unwrap<{ findings: Finding[] }>(http.POST('/api/flows/{id}/validate/', { params: byId(id), body: { document } })),
  publish: (id: number | string, comment: string) =>
    unwrap<FlowVersion>(http.POST('/api/flows/{id}/publish/', { params: byId(id), body: { comment } })),
  versions: (id: number | string) => unwrap<FlowVersion[]>(http.GET('/api/flows/{id}/versions/', { params: byId(id) })),
  version: (id: number | string) => unwrap<FlowVersion>(http.GET('/api/versions/{id}/', { params: byId(id) })),
  exportFlow: (id: number | string) => unwrap<unknown>(http.GET('/api/flows/{id}/export/', { params: byId(id) })),
  runFlow: (
    id: number | string,
    body: { input?: Item | Item[]; use_draft?: boolean; only_node?: string; pinned?: Record<string, Item[]> },
  ) => unwrap<{ id: number; status: string }>(http.POST('/api/flows/{id}/run/', { params: byId(id), body })),
  previewExpression: (expression: string, item?: Item) =>
    unwrap<PreviewResult>(http.POST('/api/expressions/preview/', { body: { expression, item } })),
  listRuns: (q: ListParams) => unwrap<Page<RunSummary>>(http.GET('/api/runs/', { params: { query: listQuery<'/api/runs/'>(q) } })),
  getRun: (id: number | string) => unwrap<RunDetail>(http.GET('/api/runs/{id}/', { params: byId(id) })),
  cancelRun: (id: number | string) => unwrap<unknown>(http.POST('/api/runs/{id}/cancel/', { params: byId(id) })),
  retryRun: (id: number | string) => unwrap<unknown>(http.POST('/api/runs/{id}/retry/', { params: byId(id) })),
  replayRun: (id: number | string) =>
    unwrap<{ id: number; status: string }>(http.POST('/api/runs/{id}/replay/', { params: byId(id) })),
  listConnections: async (organisation: number | undefined, connector: string): Promise<Connection[]> => {
    const data = await unwrap<Page<Connection> | Connection[]>(
      http.GET('/api/connections/', { params: { query: clean({ organisation, connector }) } }),
    );
    return Array.isArray(data) ? data : data.results;
  },
};

/** ws:// or wss:// on the page's own host. */
export function wsUrl(path: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${path}`;
}
