// Pure helpers behind the Connections page: connector grouping, the schemas and uiSchemas the
// dialog's forms are generated from, the create/update payloads (secrets write-only) and the
// "what to do next" advice for a failed test. No React, no HTTP: unit-tested in model.test.ts.
import type { UiSchema } from '@rjsf/utils';
import { errorMessage, type ErrorBody } from '../api/client';
import type {
  ConnectionCreateBody, ConnectionDetail, ConnectionUpdateBody, ConnectorInfo, CredentialTypeInfo, Environment, JSONSchema, JSONValue,
} from '../api/types';

export const CATEGORY_ORDER = ['CRM', 'PSA', 'ERP', 'Generic'];

/** Form values: JSON the API types as objects of any value. */
export type Values = Record<string, unknown>;

/** The environments a connection is for, as the forms and filters name them. */
export const ENVIRONMENTS: { value: Environment; label: string }[] = [
  { value: 'dev', label: 'Development' },
  { value: 'test', label: 'Test' },
  { value: 'prod', label: 'Production' },
];

/** Connectors grouped by category in the order CRM, PSA, ERP, Generic (then any other), names sorted. */
export function groupConnectors(connectors: ConnectorInfo[]): { category: string; connectors: ConnectorInfo[] }[] {
  const groups = new Map<string, ConnectorInfo[]>();
  for (const c of connectors) {
    const cat = c.category || 'Generic';
    groups.set(cat, [...(groups.get(cat) ?? []), c]);
  }
  const rank = (cat: string) => {
    const i = CATEGORY_ORDER.indexOf(cat);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([category, list]) => ({ category, connectors: [...list].sort((a, b) => a.name.localeCompare(b.name)) }));
}

/** CSS class suffix for a category's icon colours (`cat-crm`, `cat-generic`, ...). */
export const categoryClass = (category: string | undefined) => `cat-${(category ?? '').toLowerCase().replace(/[^a-z]/g, '')}`;

/** Label, help and default of the connector's base URL (from `config_schema.properties.base_url`). */
export function baseUrlSpec(connector: ConnectorInfo | undefined): { title: string; description: string; default: string } {
  const p = (connector?.config_schema?.properties?.base_url ?? {}) as JSONSchema;
  return {
    title: typeof p.title === 'string' && p.title ? p.title : 'Base URL',
    description: typeof p.description === 'string' ? p.description : '',
    default: typeof p.default === 'string' ? p.default : '',
  };
}

/** Client-side check matching the server's: an absolute http(s) URL with a host. */
export function baseUrlProblem(url: string): string | null {
  const v = url.trim();
  if (!v) return 'Enter the base URL.';
  try {
    const u = new URL(v);
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) return 'Use an http:// or https:// URL.';
  } catch {
    return 'Use a full URL such as https://example.com.';
  }
  return null;
}

/**
 * The connector's other settings (config_schema without base_url, which has its own input), or null
 * when there are none. `anyOf`/`oneOf` alternatives that mention base_url are dropped: the base URL
 * is always given, so they are met.
 */
export function settingsSchema(connector: ConnectorInfo | undefined): JSONSchema | null {
  const schema = connector?.config_schema;
  if (!schema) return null;
  const properties = { ...(schema.properties ?? {}) };
  delete properties.base_url;
  if (!Object.keys(properties).length) return null;
  const out: JSONSchema = { ...schema, properties, required: (schema.required ?? []).filter((r) => r !== 'base_url') };
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(out[key]) && JSON.stringify(out[key]).includes('"base_url"')) delete out[key];
  }
  delete out.title;
  return out;
}

/** Secret field names of a credential type (`secret_fields`, else the `writeOnly` properties). */
export function secretFields(ctype: CredentialTypeInfo | undefined): string[] {
  if (!ctype) return [];
  if (Array.isArray(ctype.secret_fields)) return ctype.secret_fields;
  return Object.entries(ctype.schema.properties ?? {}).filter(([, p]) => p.writeOnly).map(([k]) => k);
}

export function fieldTitle(ctype: CredentialTypeInfo | undefined, name: string): string {
  const t = ctype?.schema.properties?.[name]?.title;
  return typeof t === 'string' && t ? t : name;
}

/**
 * The credential form's schema. Secrets in `kept` are already stored and stay unless replaced or
 * cleared, so they are not required in the form (blank = keep).
 */
export function credentialFormSchema(ctype: CredentialTypeInfo, kept: string[]): JSONSchema {
  const keep = new Set(kept);
  const out: JSONSchema = { ...ctype.schema, type: 'object', required: (ctype.schema.required ?? []).filter((r) => !keep.has(r)) };
  // The credential type's label is shown by its select already: no legend inside the form.
  delete out.title;
  delete out.description;
  return out;
}

/** Secret fields use the `secret` widget (password input, "stored" state, clear button). */
export function credentialUiSchema(ctype: CredentialTypeInfo): UiSchema {
  const ui: UiSchema = { 'ui:submitButtonOptions': { norender: true } };
  for (const name of secretFields(ctype)) ui[name] = { 'ui:widget': 'secret' };
  return ui;
}

export const blank = (v: unknown): boolean => v === undefined || v === null || v === '';

/** Drops blank values (rjsf leaves emptied inputs undefined; a cleared text field may be ''). */
export function compact(values: Values): Record<string, JSONValue> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => !blank(v))) as Record<string, JSONValue>;
}

export interface FormInput {
  name: string;
  environment: Environment;
  baseUrl: string;
  settings: Values;
  credentialType: CredentialTypeInfo;
  credentials: Values;
}

/** POST body: every credential field with a value; blank secrets (and blank plain fields) left out. */
export function buildCreatePayload(organisation: number, connector: ConnectorInfo, input: FormInput): ConnectionCreateBody {
  return {
    organisation,
    environment: input.environment,
    name: input.name.trim(),
    connector: connector.key,
    base_url: input.baseUrl.trim(),
    config: compact(input.settings),
    credential_type: input.credentialType.key,
    credentials: compact(input.credentials),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * PATCH body with what changed. Credentials (same type): a typed secret replaces the stored one, a
 * blank secret is omitted (kept), a secret in `cleared` (and left blank) is sent as null; a plain
 * field emptied is sent as null. A new credential type starts afresh: every non-blank field.
 */
export function buildUpdatePayload(original: ConnectionDetail, input: FormInput, cleared: Iterable<string> = []): ConnectionUpdateBody {
  const body: ConnectionUpdateBody = {};
  const name = input.name.trim();
  const baseUrl = input.baseUrl.trim();
  if (name !== original.name) body.name = name;
  if (input.environment !== original.environment) body.environment = input.environment;
  if (baseUrl !== original.base_url) body.base_url = baseUrl;
  const config = compact(input.settings);
  if (!same(config, original.config ?? {})) body.config = config;

  const ctype = input.credentialType;
  if (ctype.key !== original.credential_type) {
    body.credential_type = ctype.key;
    body.credentials = compact(input.credentials);
    return body;
  }
  const secrets = new Set(secretFields(ctype));
  const clear = new Set(cleared);
  const creds: Record<string, JSONValue | null> = {};
  const names = new Set([...Object.keys(ctype.schema.properties ?? {}), ...Object.keys(input.credentials), ...Object.keys(original.credentials ?? {})]);
  for (const k of names) {
    const v = input.credentials[k];
    if (secrets.has(k)) {
      if (!blank(v)) creds[k] = v as JSONValue;
      else if (clear.has(k) && original.secrets_set.includes(k)) creds[k] = null;
      continue;
    }
    const before = original.credentials?.[k];
    if (blank(v)) {
      if (!blank(before)) creds[k] = null;
    } else if (!same(v, before)) creds[k] = v as JSONValue;
  }
  if (Object.keys(creds).length) body.credentials = creds;
  return body;
}

/** Required secret fields of the connection's credential type that hold no value. */
export function missingSecrets(conn: ConnectionDetail, ctype: CredentialTypeInfo | undefined): string[] {
  if (!ctype || ctype.key !== conn.credential_type) return [];
  const required = new Set(ctype.schema.required ?? []);
  return secretFields(ctype).filter((s) => required.has(s) && !conn.secrets_set.includes(s));
}

/** Values the credential form starts with: the stored plain fields; secrets always start blank. */
export function initialCredentials(conn: ConnectionDetail | null, ctype: CredentialTypeInfo | undefined): Values {
  if (!conn || !ctype || ctype.key !== conn.credential_type) return {};
  const secrets = new Set(secretFields(ctype));
  return Object.fromEntries(Object.entries(conn.credentials ?? {}).filter(([k]) => !secrets.has(k)));
}

const NEXT_STEPS: [RegExp, string][] = [
  [/decrypt|re-enter the secrets/i, 'The stored secrets can no longer be read. Edit the connection and enter every secret again.'],
  [/incomplete or invalid|required property|fill in every required/i, 'Edit the connection and fill in every required credential field.'],
  [/egress|internal addresses|allow-list|not allowed|outbound/i, 'The host is blocked by the outbound policy. Check the base URL; an organisation admin can allow-list the host.'],
  [/\b40[13]\b|unauthori[sz]ed|forbidden|invalid[_ ](grant|client|token)|authenticat|access denied|expired|credentials?\b/i,
    'Check the credentials: enter the secret again (tokens and refresh tokens expire), confirm the client id, token URL and scope, and that the user or integration may use the API.'],
  [/certificate|\bssl\b|\btls\b/i, 'The server’s certificate was rejected. Use the https URL of the system and check its certificate.'],
  [/resolve|dns|timed out|timeout|could not connect|connection .*failed|refused|unreachable|broke while/i,
    'The system could not be reached. Check the base URL (host name, https) and that the system is online, then test again.'],
  [/\b404\b|not found/i, 'The API was not found at this address. Check the base URL: it should be the root of your instance (see the field’s help).'],
  [/\b429\b|rate limit/i, 'The system is rate limiting requests. Wait a minute and test again.'],
  [/\b5\d\d\b|unavailable|server error/i, 'The system reported an error on its side. Try again later or check its status page.'],
];

/** What to try after a failed test, from the message the server sent. */
export function nextStepFor(message: string | null | undefined): string {
  const m = message ?? '';
  for (const [re, advice] of NEXT_STEPS) if (re.test(m)) return advice;
  return 'Check the base URL, the credential type and its fields, save, and test again. If it keeps failing, ask the administrator of the remote system whether API access is enabled.';
}

/**
 * `errorMessage` (src/api/client.ts) for callers holding an error body rather than the error
 * (ConnectionDialog, ConnectionsPage): `fallback` when the body says nothing.
 */
export function errorSummary(body: ErrorBody | undefined, fallback: string): string {
  return errorMessage({ body, message: fallback }, { fallback });
}

// --- Connect (OAuth consent in the browser), authorisation state and API usage ------------------------

/** Days before a known credential expiry (NetSuite refresh tokens) that the page warns. */
export const EXPIRY_WARNING_DAYS = 3;

export type AuthKind = 'typed' | 'not_connected' | 'connected' | 'reconnect';

export interface AuthView {
  kind: AuthKind;
  /** What the badge says. */
  label: string;
  /** Why, or what to do (the server's message for "reconnect"). */
  detail: string;
  /** The Connect button: shown for Connect types that are not connected (or need it again). */
  connect: 'Connect' | 'Reconnect' | null;
  /** "Authorisation expires in 2 days: reconnect before then." */
  warning: string | null;
}

/** Whether and when the stored grant lapses soon (`credential_expires_at`), as a sentence; null if not. */
export function expiryWarning(expiresAt: string | null | undefined, now = Date.now(), days = EXPIRY_WARNING_DAYS): string | null {
  if (!expiresAt) return null;
  const t = Date.parse(expiresAt);
  if (Number.isNaN(t)) return null;
  const left = t - now;
  if (left > days * 86400_000) return null;
  if (left <= 0) return 'The authorisation has expired: click Reconnect.';
  const hours = Math.round(left / 3600_000);
  const when = hours < 48 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.round(hours / 24)} days`;
  return `The authorisation expires in ${when}: click Reconnect before then.`;
}

/** Where a connection's authorisation stands, for its row and dialog. */
export function authView(conn: ConnectionDetail, ctype: CredentialTypeInfo | undefined, now = Date.now()): AuthView {
  const isConnect = !!ctype?.connect && ctype.key === conn.credential_type;
  if (conn.auth_state === 'reconnect') {
    return {
      kind: 'reconnect',
      label: 'Reconnect needed',
      detail: conn.auth_state_message || 'The system no longer accepts the stored authorisation.',
      connect: isConnect ? 'Reconnect' : null,
      warning: null,
    };
  }
  if (!isConnect) return { kind: 'typed', label: '', detail: '', connect: null, warning: null };
  if (conn.auth_state === 'not_connected' || !conn.secrets_set.includes('access_token')) {
    return { kind: 'not_connected', label: 'Not connected', detail: 'Click Connect and approve access in the system.', connect: 'Connect', warning: null };
  }
  const warning = expiryWarning(conn.credential_expires_at, now);
  return {
    kind: 'connected',
    label: 'Connected',
    detail: conn.connected_at ? `Authorised ${new Date(conn.connected_at).toLocaleString()}` : '',
    connect: warning ? 'Reconnect' : null,
    warning,
  };
}

/** "1,234 of 15,000 API calls (8%)" from the usage the system reported; null when none was. */
export function usageText(usage: ConnectionDetail['api_usage']): string | null {
  if (!usage || !usage.limit) return null;
  const pct = Math.round((usage.used / usage.limit) * 100);
  return `${usage.used.toLocaleString('en-US')} of ${usage.limit.toLocaleString('en-US')} API calls (${pct}%)`;
}

/** What the OAuth callback put in the page's query: `?connected=<id>` or `?connect_error=...[&connection=<id>]`. */
export function callbackResult(search: string): { connected: number | null; connection: number | null; error: string | null } {
  const q = new URLSearchParams(search);
  const id = (name: string) => {
    const v = Number(q.get(name));
    return Number.isInteger(v) && v > 0 ? v : null;
  };
  return { connected: id('connected'), connection: id('connection'), error: q.get('connect_error') };
}

/** The origin (scheme, host, port) of a URL, or '' when it does not parse. */
export function originOf(url: string): string {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return '';
  }
}

/** True when an edit moves the base URL to another host while secrets are stored: they must be entered
 * again, or an admin confirms the new host (the server enforces it; the dialog explains it first). */
export function movesSecrets(original: ConnectionDetail | null, baseUrl: string): boolean {
  if (!original || original.secrets_set.length === 0) return false;
  const before = originOf(original.base_url);
  const after = originOf(baseUrl);
  return !!before && !!after && before !== after;
}
