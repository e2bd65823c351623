import { describe, expect, it } from 'vitest';
import type { ConnectionDetail, ConnectorInfo, CredentialTypeInfo } from '../api/types';
import { cspSafeValidator } from '../editor/rjsfValidator';
import {
  authView, baseUrlProblem, baseUrlSpec, buildCreatePayload, buildUpdatePayload, callbackResult, credentialFormSchema, credentialUiSchema,
  errorSummary, expiryWarning, groupConnectors, initialCredentials, missingSecrets, movesSecrets, nextStepFor, settingsSchema, usageText,
  type FormInput,
} from './model';

const secret = (title: string) => ({ type: 'string', title, writeOnly: true, minLength: 1 });

const OAUTH: CredentialTypeInfo = {
  key: 'oauth2_refresh_token',
  label: 'OAuth 2.0 (refresh token)',
  description: '',
  schema: {
    type: 'object',
    required: ['token_url', 'client_id', 'refresh_token'],
    properties: {
      token_url: { type: 'string', title: 'Token URL' },
      client_id: { type: 'string', title: 'Client ID' },
      client_secret: { ...secret('Client secret'), minLength: 0 },
      scope: { type: 'string', title: 'Scope' },
      refresh_token: secret('Refresh token'),
    },
  },
  secret_fields: ['client_secret', 'refresh_token'],
  connect: false,
};
const BEARER: CredentialTypeInfo = {
  key: 'bearer',
  label: 'Bearer token',
  description: '',
  schema: { type: 'object', required: ['token'], properties: { token: secret('Token') } },
  secret_fields: ['token'],
  connect: false,
};

const connector = (key: string, category: string, config_schema: ConnectorInfo['config_schema'] = {}): ConnectorInfo => ({
  key, name: key[0].toUpperCase() + key.slice(1), category, icon: key, version: '1.0', description: '', config_schema, credential_types: [BEARER, OAUTH],
  actions: [], triggers: [],
});

const SALESFORCE = connector('salesforce', 'CRM', {
  type: 'object',
  required: ['base_url'],
  additionalProperties: false,
  properties: {
    base_url: { type: 'string', title: 'Instance URL', description: 'Your My Domain URL' },
    api_version: { type: 'string', title: 'API version', default: 'v61.0' },
  },
});

const stored: ConnectionDetail = {
  id: 7, ref: 'conn_7', organisation: 10, environment: 'prod', name: 'Salesforce prod', connector: 'salesforce',
  base_url: 'https://acme.my.salesforce.com', config: { api_version: 'v61.0' }, credential_type: 'oauth2_refresh_token',
  credentials: { token_url: 'https://login.salesforce.com/services/oauth2/token', client_id: 'abc', scope: 'api' },
  secrets_set: ['client_secret', 'refresh_token'], created_by: 'ana', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
  last_tested_at: null, last_test_ok: null, last_test_message: '',
  auth_state: 'ok', auth_state_message: '', connected_at: null, credential_expires_at: null, api_usage: null,
};

const input = (over: Partial<FormInput> = {}): FormInput => ({
  name: stored.name,
  environment: stored.environment,
  baseUrl: stored.base_url,
  settings: { ...stored.config },
  credentialType: OAUTH,
  credentials: { ...stored.credentials },
  ...over,
});

describe('groupConnectors', () => {
  it('orders CRM, PSA, ERP, Generic, then others, names sorted', () => {
    const groups = groupConnectors([connector('netsuite', 'ERP'), connector('http', 'Generic'), connector('zeta', 'CRM'), connector('kantata', 'PSA'), connector('odd', 'Other'), connector('salesforce', 'CRM')]);
    expect(groups.map((g) => g.category)).toEqual(['CRM', 'PSA', 'ERP', 'Generic', 'Other']);
    expect(groups[0].connectors.map((c) => c.key)).toEqual(['salesforce', 'zeta']);
  });
});

describe('schemas', () => {
  it('takes the base URL label from the config schema and leaves the other settings', () => {
    expect(baseUrlSpec(SALESFORCE).title).toBe('Instance URL');
    const s = settingsSchema(SALESFORCE)!;
    expect(Object.keys(s.properties!)).toEqual(['api_version']);
    expect(s.required).toEqual([]);
    expect(settingsSchema(connector('http', 'Generic', { type: 'object', required: ['base_url'], properties: { base_url: { type: 'string' } } }))).toBeNull();
  });
  it('drops anyOf alternatives naming base_url (NetSuite: account id or base URL)', () => {
    const ns = connector('netsuite', 'ERP', {
      type: 'object', additionalProperties: false, anyOf: [{ required: ['account_id'] }, { required: ['base_url'] }],
      properties: { account_id: { type: 'string' }, base_url: { type: 'string' } },
    });
    const s = settingsSchema(ns)!;
    expect(s.anyOf).toBeUndefined();
    expect(cspSafeValidator.validateFormData({}, s as never).errors).toEqual([]);
  });
  it('does not require stored secrets (blank = keep) but requires missing ones', () => {
    const s = credentialFormSchema(OAUTH, ['refresh_token']);
    expect(s.required).toEqual(['token_url', 'client_id']);
    const errors = cspSafeValidator.validateFormData({ token_url: 'https://x', client_id: 'a' }, credentialFormSchema(OAUTH, []) as never).errors;
    expect(errors.map((e) => e.property)).toEqual(['.refresh_token']);
    expect(cspSafeValidator.validateFormData({ token_url: 'https://x', client_id: 'a' }, s as never).errors).toEqual([]);
  });
  it('renders secret fields with the secret widget only', () => {
    const ui = credentialUiSchema(OAUTH);
    expect(ui.refresh_token).toEqual({ 'ui:widget': 'secret' });
    expect(ui.client_secret).toEqual({ 'ui:widget': 'secret' });
    expect(ui.client_id).toBeUndefined();
  });
  it('checks base URLs like the server', () => {
    expect(baseUrlProblem('https://acme.example')).toBeNull();
    expect(baseUrlProblem('')).toMatch(/Enter/);
    expect(baseUrlProblem('ftp://x')).toMatch(/http/);
    expect(baseUrlProblem('acme.example')).toMatch(/full URL/);
  });
});

describe('buildCreatePayload', () => {
  it('omits blank secrets and blank plain fields, trims name and URL', () => {
    const body = buildCreatePayload(10, SALESFORCE, input({
      name: '  Salesforce prod ', baseUrl: ' https://acme.my.salesforce.com ',
      credentials: { token_url: 'https://t', client_id: 'abc', client_secret: '', scope: undefined, refresh_token: 'r-123' },
    }));
    expect(body).toEqual({
      organisation: 10, environment: 'prod', name: 'Salesforce prod', connector: 'salesforce', base_url: 'https://acme.my.salesforce.com',
      config: { api_version: 'v61.0' }, credential_type: 'oauth2_refresh_token',
      credentials: { token_url: 'https://t', client_id: 'abc', refresh_token: 'r-123' },
    });
    expect('client_secret' in (body.credentials ?? {})).toBe(false);
  });
});

describe('buildUpdatePayload', () => {
  it('sends nothing when nothing changed (blank secrets keep their value)', () => {
    expect(buildUpdatePayload(stored, input())).toEqual({});
  });
  it('sends a typed secret, omits blank ones', () => {
    const body = buildUpdatePayload(stored, input({ credentials: { ...stored.credentials, refresh_token: 'new', client_secret: undefined } }));
    expect(body).toEqual({ credentials: { refresh_token: 'new' } });
  });
  it('sends null for an explicitly cleared secret, unless a new value was typed', () => {
    expect(buildUpdatePayload(stored, input(), ['client_secret'])).toEqual({ credentials: { client_secret: null } });
    expect(buildUpdatePayload(stored, input({ credentials: { ...stored.credentials, client_secret: 's2' } }), ['client_secret'])).toEqual({ credentials: { client_secret: 's2' } });
    // Clearing a secret that is not stored sends nothing.
    expect(buildUpdatePayload({ ...stored, secrets_set: ['refresh_token'] }, input(), ['client_secret'])).toEqual({});
  });
  it('sends changed and emptied plain fields and settings', () => {
    const body = buildUpdatePayload(stored, input({ name: 'SF', environment: 'test', baseUrl: 'https://b.example', settings: {}, credentials: { ...stored.credentials, scope: undefined, client_id: 'xyz' } }));
    expect(body).toEqual({ name: 'SF', environment: 'test', base_url: 'https://b.example', config: {}, credentials: { client_id: 'xyz', scope: null } });
  });
  it('starts afresh when the credential type changes', () => {
    const body = buildUpdatePayload(stored, input({ credentialType: BEARER, credentials: { token: 't-1' } }));
    expect(body).toEqual({ credential_type: 'bearer', credentials: { token: 't-1' } });
    expect(buildUpdatePayload(stored, input({ credentialType: BEARER, credentials: { token: '' } }))).toEqual({ credential_type: 'bearer', credentials: {} });
  });
});

describe('connection state', () => {
  it('lists required secrets without a value', () => {
    expect(missingSecrets(stored, OAUTH)).toEqual([]);
    expect(missingSecrets({ ...stored, secrets_set: [] }, OAUTH)).toEqual(['refresh_token']);
    expect(missingSecrets(stored, BEARER)).toEqual([]);
  });
  it('starts the form with plain fields only', () => {
    expect(initialCredentials({ ...stored, credentials: { ...stored.credentials, refresh_token: 'leak?' } }, OAUTH)).toEqual(stored.credentials);
    expect(initialCredentials(stored, BEARER)).toEqual({});
    expect(initialCredentials(null, OAUTH)).toEqual({});
  });
});

describe('nextStepFor', () => {
  it('maps common failures to advice', () => {
    expect(nextStepFor('Salesforce refused the request: 401 Unauthorized')).toMatch(/credentials/);
    expect(nextStepFor("Could not resolve host 'acme.example'. Check the host name and DNS.")).toMatch(/could not be reached/);
    expect(nextStepFor('Internal addresses are blocked. An organisation admin can allow-list the host')).toMatch(/outbound policy/);
    expect(nextStepFor('Kantata answered 404 Not Found')).toMatch(/base URL/);
    expect(nextStepFor('Stored secrets cannot be decrypted with any key')).toMatch(/enter every secret again/);
    expect(nextStepFor('Credentials for Bearer token are incomplete or invalid at token.')).toMatch(/required credential field/);
    expect(nextStepFor('Something odd')).toMatch(/Check the base URL/);
  });
});

describe('errorSummary', () => {
  it('joins detail, field errors it does not repeat, and the hint', () => {
    expect(errorSummary({ detail: 'Invalid input: name.', errors: { name: ['This field is required.'] } }, 'x')).toBe('Invalid input: name. name: This field is required.');
    expect(errorSummary({ detail: 'Bad URL.', errors: { base_url: ['Bad URL.'] }, hint: 'Use https.' }, 'x')).toBe('Bad URL. Use https.');
    expect(errorSummary(undefined, 'fallback')).toBe('fallback');
  });
});

const CONNECT: CredentialTypeInfo = {
  key: 'salesforce_web_server',
  label: 'Salesforce web server flow (Connect)',
  description: '',
  schema: { type: 'object', required: ['client_id'], properties: { client_id: { type: 'string' }, client_secret: secret('Consumer secret') } },
  secret_fields: ['client_secret'],
  connect: true,
};
const connectConn: ConnectionDetail = { ...stored, credential_type: 'salesforce_web_server', secrets_set: ['client_secret'], auth_state: 'not_connected' };
const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('authView', () => {
  it('offers Connect until connected, then shows connected', () => {
    expect(authView(connectConn, CONNECT, NOW)).toMatchObject({ kind: 'not_connected', connect: 'Connect' });
    const connected = { ...connectConn, auth_state: 'connected' as const, secrets_set: ['access_token', 'client_secret', 'refresh_token'], connected_at: '2026-02-28T10:00:00Z' };
    expect(authView(connected, CONNECT, NOW)).toMatchObject({ kind: 'connected', label: 'Connected', connect: null, warning: null });
  });
  it('asks to reconnect with the server message, and warns before a known expiry', () => {
    const lapsed = { ...connectConn, auth_state: 'reconnect' as const, auth_state_message: 'expired access/refresh token', secrets_set: ['access_token'] };
    expect(authView(lapsed, CONNECT, NOW)).toMatchObject({ kind: 'reconnect', connect: 'Reconnect', detail: 'expired access/refresh token' });
    const soon = { ...connectConn, auth_state: 'connected' as const, secrets_set: ['access_token'], credential_expires_at: '2026-03-02T12:00:00Z' };
    expect(authView(soon, CONNECT, NOW)).toMatchObject({ kind: 'connected', connect: 'Reconnect', warning: 'The authorisation expires in 24 hours: click Reconnect before then.' });
  });
  it('says nothing for typed credentials unless they lapsed', () => {
    expect(authView(stored, OAUTH, NOW).kind).toBe('typed');
    expect(authView({ ...stored, auth_state: 'reconnect' }, OAUTH, NOW)).toMatchObject({ kind: 'reconnect', connect: null });
  });
});

describe('expiryWarning', () => {
  it('warns within three days, in hours then days, and after expiry', () => {
    expect(expiryWarning('2026-03-10T12:00:00Z', NOW)).toBeNull();
    expect(expiryWarning('2026-03-04T00:00:00Z', NOW)).toBe('The authorisation expires in 3 days: click Reconnect before then.');
    expect(expiryWarning('2026-03-01T13:00:00Z', NOW)).toBe('The authorisation expires in 1 hour: click Reconnect before then.');
    expect(expiryWarning('2026-02-28T00:00:00Z', NOW)).toMatch(/has expired/);
    expect(expiryWarning(null, NOW)).toBeNull();
  });
});

describe('usageText', () => {
  it('formats the reported usage', () => {
    expect(usageText({ used: 1234, limit: 15000, at: '2026-03-01T11:59:00Z' })).toBe('1,234 of 15,000 API calls (8%)');
    expect(usageText(null)).toBeNull();
  });
});

describe('callbackResult', () => {
  it('reads what the OAuth callback put in the query', () => {
    expect(callbackResult('?connected=7')).toEqual({ connected: 7, connection: null, error: null });
    expect(callbackResult('?connection=7&connect_error=The+system+did+not+authorise')).toEqual({ connected: null, connection: 7, error: 'The system did not authorise' });
    expect(callbackResult('?connected=abc')).toEqual({ connected: null, connection: null, error: null });
  });
});

describe('movesSecrets', () => {
  it('is true only for another host while secrets are stored', () => {
    expect(movesSecrets(stored, 'https://acme.my.salesforce.com/other')).toBe(false);
    expect(movesSecrets(stored, 'https://collector.example.net')).toBe(true);
    expect(movesSecrets({ ...stored, secrets_set: [] }, 'https://collector.example.net')).toBe(false);
    expect(movesSecrets(null, 'https://x.example')).toBe(false);
  });
});
