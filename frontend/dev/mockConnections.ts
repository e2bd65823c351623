/**
 * Dev mock of the connections API (docs/api.md; flowbuilder/api/views/connections.py) for FB_MOCK=1:
 * the connector registry, connection CRUD with write-only secrets and `POST .../test/`. Wired into
 * dev/mockApi.ts. `GET /api/connections/?connector=` (the editor's picker) stays with mockApi.ts.
 * Test outcome by base URL: a host containing "fail" -> 401, ending in ".invalid" -> DNS error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const secret = (title: string, extra: Record<string, unknown> = {}) => ({ type: 'string', title, writeOnly: true, minLength: 1, ...extra });
const OAUTH_FIELDS = {
  token_url: { type: 'string', title: 'Token URL', format: 'uri' },
  client_id: { type: 'string', title: 'Client ID' },
  client_secret: secret('Client secret', { minLength: 0 }),
  scope: { type: 'string', title: 'Scope' },
  auth_method: { type: 'string', enum: ['client_secret_post', 'client_secret_basic'], default: 'client_secret_post' },
};
const CT = {
  none: { key: 'none', label: 'No authentication', schema: { type: 'object', properties: {} } },
  api_key: {
    key: 'api_key', label: 'API key',
    schema: { type: 'object', required: ['api_key'], properties: { api_key: secret('API key'), name: { type: 'string', title: 'Header or parameter name', default: 'X-API-Key' }, location: { type: 'string', enum: ['header', 'query'], default: 'header' }, prefix: { type: 'string', title: "Value prefix (e.g. 'Token ')", default: '' } } },
  },
  basic: { key: 'basic', label: 'Username and password', schema: { type: 'object', required: ['username', 'password'], properties: { username: { type: 'string', title: 'Username' }, password: secret('Password') } } },
  bearer: { key: 'bearer', label: 'Bearer token', schema: { type: 'object', required: ['token'], properties: { token: secret('Token') } } },
  oauth2_client_credentials: { key: 'oauth2_client_credentials', label: 'OAuth 2.0 (client credentials)', schema: { type: 'object', required: ['token_url', 'client_id'], properties: { ...OAUTH_FIELDS } } },
  oauth2_refresh_token: {
    key: 'oauth2_refresh_token', label: 'OAuth 2.0 (refresh token)',
    schema: { type: 'object', required: ['token_url', 'client_id', 'refresh_token'], properties: { ...OAUTH_FIELDS, refresh_token: secret('Refresh token') } },
  },
};
type CType = (typeof CT)[keyof typeof CT];
const withSecrets = (t: CType) => ({ ...t, description: '', secret_fields: Object.entries(t.schema.properties).filter(([, p]) => (p as any).writeOnly).map(([k]) => k) });
const url = (title: string, extra: Record<string, unknown> = {}) => ({ type: 'string', title, format: 'uri', pattern: '^https?://', ...extra });
const cfg = (properties: Record<string, unknown>, required: string[] = ['base_url'], extra: Record<string, unknown> = {}) => ({ type: 'object', required, additionalProperties: false, properties, ...extra });
const SF_TYPES = [CT.oauth2_client_credentials, CT.oauth2_refresh_token, CT.bearer];

export const CONNECTORS = [
  { key: 'salesforce', name: 'Salesforce', category: 'CRM', icon: 'salesforce', version: '1.0.0', description: 'Salesforce REST API: SOQL queries, upserts by external id, record changes.', config_schema: cfg({ base_url: url('Instance URL', { description: 'Your My Domain URL, e.g. https://acme.my.salesforce.com' }), api_version: { type: 'string', title: 'API version', pattern: '^v?[0-9]{2}\\.0$', default: 'v61.0' } }), credential_types: SF_TYPES.map(withSecrets), actions: [], triggers: [] },
  { key: 'kantata', name: 'Kantata OX', category: 'PSA', icon: 'kantata', version: '1.0.0', description: 'Kantata OX (Mavenlink) workspaces, users, time entries.', config_schema: cfg({ base_url: url('API base URL', { default: 'https://api.mavenlink.com' }) }), credential_types: [CT.bearer, CT.oauth2_refresh_token, CT.oauth2_client_credentials].map(withSecrets), actions: [], triggers: [] },
  { key: 'certinia', name: 'Certinia PSA', category: 'PSA', icon: 'certinia', version: '1.0.0', description: 'Certinia (FinancialForce) PSA on Salesforce: projects, milestones, timecards.', config_schema: cfg({ base_url: url('Instance URL') }), credential_types: SF_TYPES.map(withSecrets), actions: [], triggers: [] },
  { key: 'netsuite', name: 'NetSuite', category: 'ERP', icon: 'netsuite', version: '1.0.0', description: 'NetSuite REST record API (customers, projects, invoices, payments) and SuiteQL.', config_schema: cfg({ account_id: { type: 'string', title: 'Account id', description: 'e.g. 1234567 or 1234567_SB1 (the REST host is derived from it)', pattern: '^[A-Za-z0-9_-]+$' }, base_url: url('REST base URL (overrides the account id)') }, [], { anyOf: [{ required: ['account_id'] }, { required: ['base_url'] }] }), credential_types: SF_TYPES.map(withSecrets), actions: [], triggers: [] },
  { key: 'dynamics', name: 'Dynamics 365 Business Central', category: 'ERP', icon: 'database', version: '1.0.0', description: 'Business Central API v2.0: customers, items, sales invoices.', config_schema: cfg({ base_url: url('API base URL'), company_id: { type: 'string', title: 'Company id' } }, ['base_url', 'company_id']), credential_types: SF_TYPES.map(withSecrets), actions: [], triggers: [] },
  { key: 'http', name: 'HTTP API', category: 'Generic', icon: 'globe', version: '1.0.0', description: 'Any JSON HTTP API with API key, basic, bearer or OAuth 2.0 authentication.', config_schema: cfg({ base_url: url('Base URL') }), credential_types: [CT.none, CT.api_key, CT.basic, CT.bearer, CT.oauth2_client_credentials, CT.oauth2_refresh_token].map(withSecrets), actions: [], triggers: [] },
];

interface MockConnection {
  id: number; organisation: number; environment: string; name: string; connector: string; base_url: string; config: Record<string, unknown>;
  credential_type: string; credentials: Record<string, unknown>; secrets: Record<string, unknown>; created_by: string; created_at: string; updated_at: string;
  last_tested_at: string | null; last_test_ok: boolean | null; last_test_message: string;
}
const ago = (min: number) => new Date(Date.now() - min * 60000).toISOString();
const connections: MockConnection[] = [
  { id: 1, organisation: 10, environment: 'prod', name: 'Salesforce production', connector: 'salesforce', base_url: 'https://northwind.my.salesforce.com', config: { api_version: 'v61.0' }, credential_type: 'oauth2_refresh_token', credentials: { token_url: 'https://login.salesforce.com/services/oauth2/token', client_id: '3MVG9-northwind', scope: 'api refresh_token', auth_method: 'client_secret_post' }, secrets: { client_secret: 'x', refresh_token: 'y' }, created_by: 'ana', created_at: ago(50000), updated_at: ago(3000), last_tested_at: ago(42), last_test_ok: true, last_test_message: 'Connected to Salesforce (API v61.0).' },
  { id: 2, organisation: 10, environment: 'test', name: 'Kantata sandbox', connector: 'kantata', base_url: 'https://fail.mavenlink.example', config: {}, credential_type: 'bearer', credentials: {}, secrets: { token: 'z' }, created_by: 'bo', created_at: ago(20000), updated_at: ago(900), last_tested_at: ago(300), last_test_ok: false, last_test_message: 'Kantata refused the request: 401 Unauthorized. The access token is invalid or expired.' },
  { id: 3, organisation: 10, environment: 'dev', name: 'NetSuite SB1', connector: 'netsuite', base_url: 'https://1234567-sb1.suitetalk.api.netsuite.com', config: { account_id: '1234567_SB1' }, credential_type: 'oauth2_client_credentials', credentials: { token_url: 'https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token', client_id: 'ns-client' }, secrets: {}, created_by: 'ana', created_at: ago(8000), updated_at: ago(8000), last_tested_at: null, last_test_ok: null, last_test_message: '' },
];

function view(c: MockConnection) {
  const { secrets, ...rest } = c;
  return { ...rest, ref: `conn_${c.id}`, secrets_set: Object.keys(secrets).sort() };
}

function json(res: ServerResponse, status: number, data?: unknown) {
  res.statusCode = status;
  if (data === undefined) return void res.end();
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(data));
}

async function readBody(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? JSON.parse(text) : {};
}

const bad = (res: ServerResponse, field: string, detail: string, hint?: string) => json(res, 400, { detail, errors: { [field]: [detail] }, ...(hint ? { hint } : {}) });

function problem(c: { connector: string; base_url?: string; credential_type?: string; name?: string; environment?: string; organisation?: number }, id?: number): [string, string] | null {
  if (!c.name?.trim()) return ['name', 'This field may not be blank.'];
  if (!/^https?:\/\/[^/\s]+/.test(c.base_url ?? '')) return ['base_url', 'The base URL must be an http:// or https:// URL.'];
  const dup = connections.find((x) => x.id !== id && x.organisation === c.organisation && x.environment === c.environment && x.name === c.name);
  if (dup) return ['name', `A connection named '${c.name}' already exists in ${c.environment}.`];
  return null;
}

function splitCreds(ctype: CType, values: Record<string, unknown>) {
  const secretNames = new Set(withSecrets(ctype).secret_fields);
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) (secretNames.has(k) ? secrets : plain)[k] = v;
  return { plain, secrets };
}

function missingRequired(ctype: CType, values: Record<string, unknown>): string | null {
  for (const r of (ctype.schema as { required?: string[] }).required ?? []) if (values[r] === undefined || values[r] === null || values[r] === '') return r;
  return null;
}

const merge = (cur: Record<string, unknown>, changes: Record<string, unknown>) => {
  const out = { ...cur };
  for (const [k, v] of Object.entries(changes)) if (v === null) delete out[k]; else out[k] = v;
  return out;
};

function probe(c: MockConnection): { ok: boolean; message: string } {
  const host = new URL(c.base_url).hostname;
  const ctype = Object.values(CT).find((t) => t.key === c.credential_type)!;
  const missing = missingRequired(ctype, { ...c.credentials, ...c.secrets });
  if (missing) return { ok: false, message: `Credentials for ${ctype.label} are incomplete or invalid at ${missing}. Edit the connection and fill in every required field.` };
  if (host.endsWith('.invalid')) return { ok: false, message: `Could not resolve host '${host}'. Check the host name and DNS.` };
  if (host.includes('fail')) return { ok: false, message: `The system refused the request: 401 Unauthorized. The access token is invalid or expired.` };
  const name = CONNECTORS.find((x) => x.key === c.connector)?.name ?? c.connector;
  return { ok: true, message: `Connected to ${name} at ${host}.` };
}

/** Handles the connections API; false for anything else (and for the editor picker's `?connector=`). */
export async function handleConnections(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const u = new URL(req.url ?? '/', 'http://x');
  const p = u.pathname;
  const method = req.method ?? 'GET';
  if (p === '/api/connectors/') return json(res, 200, CONNECTORS), true;
  if (p === '/api/connections/' && method === 'GET') {
    if (u.searchParams.has('connector')) return false;
    const org = Number(u.searchParams.get('organisation'));
    const list = connections.filter((c) => !org || c.organisation === org).sort((a, b) => a.name.localeCompare(b.name));
    return json(res, 200, { count: list.length, next: null, previous: null, results: list.map(view) }), true;
  }
  if (p === '/api/connections/' && method === 'POST') {
    const b = await readBody(req);
    const connector = CONNECTORS.find((c) => c.key === b.connector);
    if (!connector) return bad(res, 'connector', `No connector '${b.connector}' is installed.`, 'Pick one from /api/connectors/.'), true;
    const ctype = Object.values(CT).find((t) => t.key === b.credential_type && connector.credential_types.some((x) => x.key === t.key));
    if (!ctype) return bad(res, 'credential_type', `Connector '${b.connector}' does not support credential type '${b.credential_type}'.`), true;
    const env = b.environment ?? 'dev';
    const pr = problem({ ...b, environment: env });
    if (pr) return bad(res, pr[0], pr[1]), true;
    const values = Object.fromEntries(Object.entries(b.credentials ?? {}).filter(([, v]) => v !== null));
    const missing = missingRequired(ctype, values);
    if (missing) return bad(res, `credentials.${missing}`, `${ctype.label}: '${missing}' is a required property.`, 'Fill in every required credential field.'), true;
    const { plain, secrets } = splitCreds(ctype, values);
    const c: MockConnection = {
      id: Math.max(0, ...connections.map((x) => x.id)) + 1, organisation: b.organisation, environment: env, name: b.name, connector: b.connector, base_url: b.base_url.trim(),
      config: b.config ?? {}, credential_type: ctype.key, credentials: plain, secrets, created_by: 'ana', created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
      last_tested_at: null, last_test_ok: null, last_test_message: '',
    };
    connections.push(c);
    return json(res, 201, view(c)), true;
  }
  const m = p.match(/^\/api\/connections\/(\d+)\/(test\/)?$/);
  if (!m) return false;
  const c = connections.find((x) => x.id === Number(m[1]));
  if (!c) return json(res, 404, { detail: 'Not found.' }), true;
  if (m[2]) {
    if (method !== 'POST') return json(res, 405, { detail: `Method "${method}" not allowed.` }), true;
    await new Promise((r) => setTimeout(r, 900)); // a real test calls the remote system
    const r = probe(c);
    c.last_tested_at = new Date().toISOString();
    c.last_test_ok = r.ok;
    c.last_test_message = r.message;
    return json(res, 200, { ...r, tested_at: c.last_tested_at }), true;
  }
  if (method === 'GET') return json(res, 200, view(c)), true;
  if (method === 'DELETE') {
    connections.splice(connections.indexOf(c), 1);
    return json(res, 204), true;
  }
  if (method === 'PATCH' || method === 'PUT') {
    const b = await readBody(req);
    const next = { ...c, ...Object.fromEntries(['name', 'environment', 'base_url', 'config'].filter((k) => b[k] !== undefined && b[k] !== null).map((k) => [k, b[k]])) };
    const pr = problem(next, c.id);
    if (pr) return bad(res, pr[0], pr[1]), true;
    const connector = CONNECTORS.find((x) => x.key === c.connector)!;
    const newType = b.credential_type ?? c.credential_type;
    const ctype = Object.values(CT).find((t) => t.key === newType && connector.credential_types.some((x) => x.key === t.key));
    if (!ctype) return bad(res, 'credential_type', `Connector '${c.connector}' does not support credential type '${newType}'.`), true;
    if (newType !== c.credential_type || b.credentials) {
      const fresh = newType !== c.credential_type;
      const changes = splitCreds(ctype, b.credentials ?? {});
      const plain = merge(fresh ? {} : c.credentials, changes.plain);
      const secrets = merge(fresh ? {} : c.secrets, changes.secrets);
      const missing = missingRequired(ctype, { ...plain, ...secrets });
      if (missing) return bad(res, `credentials.${missing}`, `${ctype.label}: '${missing}' is a required property.`, 'Fill in every required credential field.'), true;
      Object.assign(next, { credential_type: newType, credentials: plain, secrets });
    }
    Object.assign(c, next, { updated_at: new Date().toISOString() });
    return json(res, 200, view(c)), true;
  }
  return json(res, 405, { detail: `Method "${method}" not allowed.` }), true;
}
