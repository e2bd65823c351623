// The one HTTP client of the SPA: openapi-fetch typed with `paths`, generated from the API's OpenAPI schema
// (./schema.d.ts). The per-area modules (./flows, ./runs, ./session, ./connections, ./partner, ./triggers)
// only name endpoints through `http`; request bodies, query parameters and answers are the generated types,
// so a call the API does not describe does not compile. Components call those modules, never fetch().
import createClient, { type Middleware } from 'openapi-fetch';
import { csrfToken } from '../config';
import type { ApiErrorBody, ConflictBody, Finding, paths } from './types';

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

const csrf: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRFToken', token);
    }
    request.headers.set('Accept', 'application/json');
    return request;
  },
};

/** The client: `http.GET('/api/flows/{id}/', { params: { path: { id } } })`, typed end to end. */
export const http = createClient<paths>({
  baseUrl: '',
  credentials: 'same-origin',
  // Looked up per request, not when the module loads (a test stubs it).
  fetch: (request) => globalThis.fetch(request),
});
http.use(csrf);

/** What openapi-fetch answers: the body typed by the operation's 2xx response, or its error. */
export type Answer<D> = { data?: D; error?: unknown; response: Response };

/**
 * The body of a 2xx answer (its type inferred from the operation); otherwise an ApiError with the error
 * body, and status 0 when the server could not be reached.
 */
export async function unwrap<D>(p: Promise<Answer<D>>): Promise<D> {
  let res: Answer<D>;
  try {
    res = await p;
  } catch (e) {
    throw new ApiError(0, { detail: 'The server could not be reached. Check your connection and try again.' }, String(e));
  }
  if (!res.response.ok) {
    const body = (res.error && typeof res.error === 'object' ? res.error : { detail: String(res.error ?? '') }) as ApiErrorBody;
    throw new ApiError(res.response.status, body, body.detail || `${res.response.status} ${res.response.statusText}`);
  }
  return res.data as D;
}

/** `{ params: { path: { id } } }`. Ids come from route params as strings as often as numbers; the URL is
 * the same either way. */
export const byId = (id: number | string) => ({ params: { path: { id: id as number } } });

/** Query values without the empty ones (filters read from the URL are '' when unset). */
export function clean<T extends object>(q: T): T {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '' && v !== null)) as T;
}

type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;

/** A list operation's query parameters, each also as the string a URL filter holds (`?status=` is read from
 * the address bar): the API validates them (400 naming the filter). */
export type LooseQuery<P extends keyof paths> = { [K in keyof Query<P>]?: Query<P>[K] | string };

/** The query of a list operation, empty values left out. */
export function listQuery<P extends keyof paths>(q: LooseQuery<P>): Query<P> {
  return clean(q) as Query<P>;
}

/** The rows of a list answer: paginated (`{count, results}`) or a plain list. */
export const rows = <T,>(data: { results: T[] } | T[]): T[] => (Array.isArray(data) ? data : data.results);

/** ws:// or wss:// on the page's own host. */
export function wsUrl(path: string): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${path}`;
}
