// Connections and the connector registry (docs/api.md; flowbuilder/api/views/connections.py).
// Secrets are write-only: responses name the secret fields that are set (`secrets_set`), never values.
import createClient from 'openapi-fetch';
import { csrf, unwrap } from './client';
import type { ApiErrorBody, JSONSchema, JSONValue, Page } from './types';

export type Environment = 'dev' | 'test' | 'prod';

export const ENVIRONMENTS: { value: Environment; label: string }[] = [
  { value: 'dev', label: 'Development' },
  { value: 'test', label: 'Test' },
  { value: 'prod', label: 'Production' },
];

/** One connection as the API returns it (GET/POST/PATCH responses). */
export interface ConnectionDetail {
  id: number;
  /** How flow documents name the connection (`config.connection`), e.g. "conn_42". */
  ref: string;
  organisation: number;
  environment: Environment;
  name: string;
  connector: string;
  base_url: string;
  /** Non-secret connector settings (never `base_url`, which has its own field). */
  config: Record<string, JSONValue>;
  credential_type: string;
  /** Non-secret credential fields only. */
  credentials: Record<string, JSONValue>;
  /** Names of the secret credential fields that hold a value. */
  secrets_set: string[];
  created_by: string | null;
  created_at: string;
  updated_at: string;
  last_tested_at: string | null;
  last_test_ok: boolean | null;
  last_test_message: string;
}

export interface CredentialTypeInfo {
  key: string;
  label: string;
  description?: string;
  schema: JSONSchema;
  /** Properties marked `writeOnly` in `schema`. */
  secret_fields: string[];
}

export interface ConnectorInfo {
  key: string;
  name: string;
  category: string;
  icon: string;
  version?: string;
  description: string;
  config_schema: JSONSchema;
  credential_types: CredentialTypeInfo[];
  actions?: unknown[];
  triggers?: unknown[];
}

export interface ConnectionCreateBody {
  organisation: number;
  environment: Environment;
  name: string;
  connector: string;
  base_url: string;
  config: Record<string, JSONValue>;
  credential_type: string;
  /** Every credential field with a value; blank secrets are left out. */
  credentials: Record<string, JSONValue>;
}

export interface ConnectionUpdateBody {
  environment?: Environment;
  name?: string;
  base_url?: string;
  config?: Record<string, JSONValue>;
  credential_type?: string;
  /** Changed fields only: an omitted secret keeps its value, `null` clears a field. */
  credentials?: Record<string, JSONValue | null>;
}

export interface ConnectionTestResult {
  ok: boolean;
  message: string;
  tested_at: string;
}

type Json<T> = { content: { 'application/json': T } };
type Q = { organisation?: number; connector?: string; environment?: string; search?: string; limit?: number; offset?: number };
type IdPath = { id: number | string };
type Err = { 400: Json<ApiErrorBody>; 403: Json<ApiErrorBody>; 404: Json<ApiErrorBody> };

interface ConnectionPaths {
  '/api/connections/': {
    get: { parameters: { query?: Q }; responses: { 200: Json<Page<ConnectionDetail>> } & Err };
    post: { parameters: { query?: never }; requestBody: Json<ConnectionCreateBody>; responses: { 201: Json<ConnectionDetail> } & Err };
  };
  '/api/connections/{id}/': {
    get: { parameters: { path: IdPath }; responses: { 200: Json<ConnectionDetail> } & Err };
    patch: { parameters: { path: IdPath }; requestBody: Json<ConnectionUpdateBody>; responses: { 200: Json<ConnectionDetail> } & Err };
    delete: { parameters: { path: IdPath }; responses: { 204: { content?: never } } & Err };
  };
  '/api/connections/{id}/test/': {
    post: { parameters: { path: IdPath }; responses: { 200: Json<ConnectionTestResult> } & Err };
  };
  '/api/connectors/': {
    get: { parameters: { query?: never }; responses: { 200: Json<ConnectorInfo[]> } & Err };
  };
}

const http = createClient<ConnectionPaths>({ baseUrl: '', credentials: 'same-origin' });
http.use(csrf);

export const connectionsApi = {
  /** All connections of one organisation (one page of up to 500: organisations have a handful). */
  list: async (organisation: number): Promise<ConnectionDetail[]> => {
    const data = await unwrap<Page<ConnectionDetail> | ConnectionDetail[]>(
      http.GET('/api/connections/', { params: { query: { organisation, limit: 500 } } }),
    );
    return Array.isArray(data) ? data : data.results;
  },
  get: (id: number) => unwrap<ConnectionDetail>(http.GET('/api/connections/{id}/', { params: { path: { id } } })),
  create: (body: ConnectionCreateBody) => unwrap<ConnectionDetail>(http.POST('/api/connections/', { body })),
  update: (id: number, body: ConnectionUpdateBody) =>
    unwrap<ConnectionDetail>(http.PATCH('/api/connections/{id}/', { params: { path: { id } }, body })),
  remove: (id: number) => unwrap<unknown>(http.DELETE('/api/connections/{id}/', { params: { path: { id } } })),
  test: (id: number) => unwrap<ConnectionTestResult>(http.POST('/api/connections/{id}/test/', { params: { path: { id } } })),
  connectors: () => unwrap<ConnectorInfo[]>(http.GET('/api/connectors/')),
};
