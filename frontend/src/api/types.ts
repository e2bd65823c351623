// Hand-written from docs/api.md. When frontend/openapi.json exists (`manage.py spectacular`),
// `npm run gen:api` writes src/api/schema.d.ts and src/api/client.ts switches its `paths` import.
// Keep the domain names here; components import them, never the generated file directly.

export type JSONValue = string | number | boolean | null | JSONValue[] | { [k: string]: JSONValue };
export type Item = Record<string, JSONValue>;

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface ApiErrorBody {
  detail?: string;
  errors?: Record<string, string[]>;
  findings?: Finding[];
}

export interface Organisation {
  id: number;
  name: string;
  kind: 'partner' | 'customer';
  role: 'admin' | 'builder' | 'operator' | 'approver' | 'viewer';
  parent: number | null;
}

export interface Me {
  id: number;
  username: string;
  email: string;
  display_name: string;
  organisations: Organisation[];
}

export interface Port {
  name: string;
  label: string;
  /** Optional: whether an input port accepts more than one incoming edge. */
  multiple?: boolean;
}

export type JSONSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JSONSchema>;
  items?: JSONSchema;
  required?: string[];
  enum?: JSONValue[];
  default?: JSONValue;
  'x-expression'?: boolean;
  'x-connection'?: string;
  [k: string]: unknown;
};

export interface NodeType {
  type: string;
  label: string;
  category: string;
  icon: string;
  description: string;
  docs: string;
  inputs: Port[];
  outputs: Port[];
  config_schema: JSONSchema;
  side_effects: boolean;
  is_trigger: boolean;
  default_retry: Retry;
  expression_fields: string[];
}

export interface Retry {
  max_attempts: number;
  backoff_s: number;
}

export type OnError = 'fail' | 'continue' | 'error_port';

export interface Position {
  x: number;
  y: number;
}

export interface DocNode {
  id: string;
  type: string;
  label: string;
  position: Position;
  config: Record<string, JSONValue>;
  retry?: Retry;
  on_error?: OnError;
  disabled?: boolean;
  notes?: string;
}

export interface DocEdge {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface StickyNote {
  id: string;
  text: string;
  position: Position;
  width?: number;
  height?: number;
}

export interface FlowDocument {
  schema_version: 1;
  nodes: DocNode[];
  edges: DocEdge[];
  notes?: StickyNote[];
}

export interface Finding {
  node_id?: string | null;
  edge_id?: string | null;
  field?: string | null;
  code?: string;
  message: string;
  severity?: 'error' | 'warning';
}

export type RunStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
export type NodeRunStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped';

export interface FlowSummary {
  id: number;
  organisation: number;
  name: string;
  description: string;
  tags: string[];
  status: 'draft' | 'published';
  draft_revision: number;
  updated_at: string;
  updated_by: string | null;
  published_version: { id: number; number: number } | null;
  last_run: { id: number; status: RunStatus; created_at: string } | null;
  webhook_url: string | null;
}

export interface Draft {
  document: FlowDocument;
  revision: number;
  saved_by: string | null;
  saved_at: string | null;
  findings: Finding[];
}

export interface FlowDetail extends FlowSummary {
  draft: Draft;
}

export interface SaveDraftResponse {
  revision: number;
  saved_at: string;
  saved_by: string | null;
  findings: Finding[];
}

export interface ConflictBody {
  detail: string;
  saved_by: string | null;
  saved_at: string | null;
  revision: number;
}

export interface FlowVersion {
  id: number;
  number: number;
  comment: string;
  state: string;
  created_by: string | null;
  created_at: string;
  document?: FlowDocument;
}

export interface RunSummary {
  id: number;
  flow: number;
  flow_name: string;
  /** The pinned version ({id, number, state}); older payloads may send the number. */
  version: { id: number; number: number; state?: string } | number | null;
  status: RunStatus;
  trigger: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string | null;
  node_count?: number;
  correlation_id?: string;
  replay_of?: number | null;
}

export interface NodeRunError {
  message: string;
  hint?: string | null;
}

export interface NodeRun {
  node_id: string;
  status: NodeRunStatus;
  attempt: number;
  input_counts: Record<string, number>;
  output_counts: Record<string, number>;
  input_items: Record<string, Item[]>;
  output_items: Record<string, Item[]>;
  error: NodeRunError | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  next_attempt_at?: string | null;
}

export interface RunDetail extends RunSummary {
  node_runs: NodeRun[];
  last_seq: number;
  document: FlowDocument;
  input_items?: Item[];
  output_items?: Item[];
}

export function versionNumber(v: RunSummary['version']): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : v.number;
}

export interface RunEvent {
  seq: number;
  type: string;
  node_id: string | null;
  payload: {
    attempt?: number;
    input_count?: number;
    output_counts?: Record<string, number>;
    duration_ms?: number;
    error?: NodeRunError | string | null;
    [k: string]: unknown;
  };
  at: string;
}

export type RunFrame =
  | { type: 'snapshot'; seq: number; run: RunDetail }
  | { type: 'events'; events: RunEvent[] };

export interface Connection {
  id: string | number;
  /** How flow documents name the connection (config.connection), e.g. "conn_42". */
  ref?: string;
  name: string;
  connector: string;
  environment?: string;
}

/** The value a document stores for a connection. */
export const connectionRef = (c: Connection): string => c.ref ?? String(c.id);

export interface PreviewResult {
  result?: JSONValue;
  error?: string;
  position?: number | null;
}

/** The subset of paths the SPA calls, in openapi-typescript's shape so openapi-fetch can type them. */
type Json<T> = { content: { 'application/json': T } };
type Params<Q, P> = ([Q] extends [never] ? { query?: never } : { query?: Q }) &
  ([P] extends [never] ? { path?: never } : { path: P }) & { header?: never; cookie?: never };
type Op<Req, Res, Q = never, P = never> = {
  parameters: Params<Q, P>;
  responses: { 200: Json<Res>; 201: Json<Res>; 400: Json<ApiErrorBody>; 409: Json<ConflictBody> };
} & ([Req] extends [never] ? { requestBody?: never } : { requestBody: Json<Req> });
type IdPath = { id: number | string };
type ListQ = { organisation?: number; limit?: number; offset?: number; search?: string; status?: string; tag?: string; flow?: number | string; trigger?: string; connector?: string };

export interface paths {
  '/api/me/': { get: Op<never, Me> };
  '/api/auth/logout/': { post: Op<never, unknown> };
  '/api/node-types/': { get: Op<never, NodeType[]> };
  '/api/flows/': { get: Op<never, Page<FlowSummary>, ListQ>; post: Op<{ organisation: number; name: string; description?: string; tags?: string[]; document?: FlowDocument }, FlowDetail> };
  '/api/flows/import/': { post: Op<{ organisation: number; data: unknown }, FlowDetail> };
  '/api/flows/{id}/': { get: Op<never, FlowDetail, never, IdPath>; patch: Op<{ name?: string; description?: string; tags?: string[] }, FlowDetail, never, IdPath>; delete: Op<never, unknown, never, IdPath> };
  '/api/flows/{id}/draft/': { put: Op<{ document: FlowDocument; revision: number; force?: boolean }, SaveDraftResponse, never, IdPath> };
  '/api/flows/{id}/validate/': { post: Op<{ document: FlowDocument }, { findings: Finding[] }, never, IdPath> };
  '/api/flows/{id}/publish/': { post: Op<{ comment?: string }, FlowVersion, never, IdPath> };
  '/api/flows/{id}/versions/': { get: Op<never, FlowVersion[], never, IdPath> };
  '/api/flows/{id}/export/': { get: Op<never, unknown, never, IdPath> };
  '/api/flows/{id}/run/': { post: Op<{ input?: Item | Item[]; use_draft?: boolean; only_node?: string; pinned?: Record<string, Item[]> }, { id: number; status: RunStatus }, never, IdPath> };
  '/api/versions/{id}/': { get: Op<never, FlowVersion, never, IdPath> };
  '/api/expressions/preview/': { post: Op<{ expression: string; item?: Item; node_outputs?: Record<string, unknown> }, PreviewResult> };
  '/api/runs/': { get: Op<never, Page<RunSummary>, ListQ> };
  '/api/runs/{id}/': { get: Op<never, RunDetail, never, IdPath> };
  '/api/runs/{id}/events/': { get: Op<never, RunEvent[], { after_seq?: number }, IdPath> };
  '/api/runs/{id}/cancel/': { post: Op<never, unknown, never, IdPath> };
  '/api/runs/{id}/retry/': { post: Op<never, unknown, never, IdPath> };
  '/api/runs/{id}/replay/': { post: Op<never, { id: number; status: RunStatus }, never, IdPath> };
  '/api/connections/': { get: Op<never, Page<Connection> | Connection[], ListQ> };
}
