// Domain types of the SPA. Everything the API sends or accepts is derived from the generated
// ./schema.d.ts (openapi-typescript over drf-spectacular's schema; `npm run gen:api`, checked by
// `npm run check:api` and `make lint`). Hand-written here only: the flow document format (the API types
// it as a plain JSON object; FlowDocument is the editor's model of it), the JSON Schema of node configs
// and connector forms, JSON helpers and the websocket frames. Components import these names, never the
// generated file directly.
import type { components, paths as ApiPaths } from './schema';

/** The generated component schemas (exported for the type tests and modules that need one directly). */
export type Schemas = components['schemas'];
/** The generated paths: what openapi-fetch is typed with (src/api/client.ts). */
export type paths = ApiPaths;

export type JSONValue = string | number | boolean | null | JSONValue[] | { [k: string]: JSONValue };
export type Item = Record<string, JSONValue>;

/** Any 4xx body (flowbuilder/api/errors.py): a detail, per-field errors, a hint, findings. Partial because the
 * client also wraps network failures and non-JSON answers in it. */
export type ApiErrorBody = Partial<Schemas['ApiError']>;

/** An organisation in /api/me/, with the user's role in it. */
export type Organisation = Schemas['MeOrganisation'];

export type Me = Schemas['Me'];

/** `multiple` is not sent by the API (yet); the editor treats a missing value as the default. */
export type Port = Schemas['Port'] & { multiple?: boolean };

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

/** The API types config_schema as a JSON object; here it is the JSON Schema the editor reads. */
export type NodeType = Omit<Schemas['NodeType'], 'config_schema' | 'inputs' | 'outputs'> & {
  config_schema: JSONSchema;
  inputs: Port[];
  outputs: Port[];
};

export type Retry = Schemas['Retry'];

export type OnError = 'fail' | 'continue' | 'error_port';

export type Position = {
  x: number;
  y: number;
};

// The flow document: the API accepts and returns it as a JSON object (validated server-side by
// flowbuilder/validation); these are the editor's types for it. Type aliases (not interfaces) so a
// document is assignable to the generated `{ [key: string]: unknown }`.
export type DocNode = {
  id: string;
  type: string;
  label: string;
  position: Position;
  config: Record<string, JSONValue>;
  retry?: Retry;
  on_error?: OnError;
  disabled?: boolean;
  notes?: string;
  /** The saga: what undoes this node's side effect when a later node fails finally. */
  compensation?: Compensation;
};

export type Compensation = { type: string; config?: Record<string, JSONValue>; retry?: Retry };

export type DocEdge = {
  id: string;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
};

export type StickyNote = {
  id: string;
  text: string;
  position: Position;
  width?: number;
  height?: number;
};

/** Presentation only (src/graph/groups.ts): a box around nodes, collapsible to one node. */
export type FlowGroup = {
  id: string;
  label: string;
  nodes: string[];
  collapsed?: boolean;
};

export type FlowDocument = {
  schema_version: 1;
  nodes: DocNode[];
  edges: DocEdge[];
  notes?: StickyNote[];
  groups?: FlowGroup[];
};

export type Finding = Schemas['Finding'];

export type RunStatus = Schemas['RunStatusEnum'];
export type NodeRunStatus = Schemas['NodeRunStatusEnum'];

export type FlowSummary = Schemas['Flow'];

/** A schedule trigger's config as the preview endpoint takes it, and its answer. */
export type ScheduleConfig = Schemas['ScheduleConfigRequest'];
export type SchedulePreview = Schemas['SchedulePreview'];

export type Draft = Omit<Schemas['Draft'], 'document'> & { document: FlowDocument };

export type FlowDetail = Omit<Schemas['FlowDetail'], 'draft'> & { draft: Draft };

export type SaveDraftResponse = Schemas['SaveDraftResult'];

/** The 409 body of PUT /api/flows/{id}/draft/ (a stale revision). */
export type ConflictBody = Schemas['DraftConflict'];

/** A version as listed; GET /api/versions/{id}/ adds the document and the execution plan. */
export type FlowVersion = Schemas['Version'] & {
  document?: FlowDocument;
  plan?: Schemas['VersionDetail']['plan'];
};

export type RunSummary = Schemas['Run'];

/** A run's or node run's `error`: a message, usually a hint, sometimes more keys. */
export type NodeRunError = NonNullable<Schemas['Run']['error']>;

// Items are JSON objects: the schema says `{ [key: string]: unknown }`, Item says the values are JSON.
export type NodeRun = Omit<Schemas['NodeRun'], 'input_items' | 'output_items'> & {
  input_items: Record<string, Item[]>;
  output_items: Record<string, Item[]>;
};

export type RunDetail = Omit<Schemas['RunDetail'], 'document' | 'node_runs' | 'input_items' | 'output_items'> & {
  node_runs: NodeRun[];
  document: FlowDocument;
  input_items: Item[];
  output_items: Item[] | null;
};

export function versionNumber(v: RunSummary['version'] | number | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'number' ? v : v.number;
}

/** Every run and node event type (flowbuilder.execution.models.EventType). */
export type EventType = Schemas['EventTypeEnum'];

/** One event of a run: its payload's known keys are in the schema (execution/engine.py writes them). */
export type RunEvent = Schemas['RunEvent'];

/** Websocket frames (/ws/runs/{id}/; not part of the OpenAPI schema). */
export type RunFrame =
  | { type: 'snapshot'; seq: number; run: RunDetail }
  | { type: 'events'; events: RunEvent[] };

/** The fields of Schemas['Connection'] the editor's connection picker needs. */
export type Connection = Pick<Schemas['Connection'], 'id' | 'ref' | 'name' | 'connector' | 'environment'>;

/** The value a document stores for a connection. */
export const connectionRef = (c: Connection): string => c.ref ?? String(c.id);

// --- connections and the connector registry ---------------------------------------------------------

export type ConnectionDetail = Schemas['Connection'];
export type Environment = Schemas['EnvironmentEnum'];
export type ConnectionCreateBody = Schemas['ConnectionCreateRequest'];
export type ConnectionUpdateBody = Schemas['PatchedConnectionUpdateRequest'];
export type ConnectionTestResult = Schemas['ConnectionTest'];

/** The API types the credential schema as a JSON object; here it is the JSON Schema the form reads. */
export type CredentialTypeInfo = Omit<Schemas['CredentialType'], 'schema'> & { schema: JSONSchema };

export type ConnectorInfo = Omit<Schemas['Connector'], 'config_schema' | 'credential_types'> & {
  config_schema: JSONSchema;
  credential_types: CredentialTypeInfo[];
};

// --- the partner area --------------------------------------------------------------------------------

export type Role = Schemas['RoleEnum'];
/** Every role, most powerful first (the order pickers show them in). */
export const ROLES = ['admin', 'builder', 'operator', 'approver', 'auditor', 'viewer'] as const satisfies readonly Role[];
export type OrganisationInfo = Schemas['Organisation'];
export type Membership = Schemas['Membership'];
export type CustomerOverview = Schemas['CustomerOverview'];
export type Health = CustomerOverview['health'];
/** GET answers `{}` while the partner has none: every field is optional. */
export type BrandingSettings = Schemas['Branding'];

export type Template = Schemas['Template'];
export type ValueParameter = Schemas['ValueParameter'];
export type ConnectionSlot = Schemas['ConnectionSlot'];
export type TemplateParameter = Schemas['TemplateParameter'];
/** As declared when publishing (description, required and default optional). */
export type TemplateParameterInput = Schemas['TemplateParameterInputRequest'];
/** A version as listed; GET /api/templates/{id}/versions/{n}/ adds the document. */
export type TemplateVersion = Schemas['TemplateVersion'] & { document?: FlowDocument };
export type TemplateInstance = Schemas['TemplateInstance'];

export type CloneTarget = Schemas['CloneTargetRequest'];
export type CloneResult = Schemas['CloneResult'];
export type CloneResponse = Schemas['CloneResponse'];
export type DryRunResult = Schemas['DryRunResult'];
export type DryRunResponse = Schemas['DryRunResponse'];

export type ValueChange = Schemas['ValueChange'];
export type GraphDiff = Schemas['GraphDiff'];
export type MergeConflict = Schemas['MergeConflict'];
export type UpgradePreview = Schemas['UpgradePreview'];
export type UpgradeResult = Schemas['UpgradeResult'];
export type DriftRow = Schemas['DriftRow'];
/** Instance id -> conflict path -> how it is settled. */
export type Resolutions = NonNullable<Schemas['UpgradeRequest']['resolutions']>;
export type Resolution = Resolutions[string][string];

// --- triggers ------------------------------------------------------------------------------------------

/** One trigger row (a PollingState) as GET /api/triggers/ and the actions return it. */
export type Trigger = Schemas['Trigger'];
export type TriggerHealth = Schemas['TriggerHealthEnum'];
export type TriggerKind = Schemas['TriggerKindEnum'];
/** The operator actions (POST /api/triggers/{id}/<action>/). */
export type TriggerAction = 'pause' | 'resume' | 'poll-now';

/** POST /api/expressions/preview/: 200 `{result}` (any JSON) or 400 `{error, position}`. */
export type PreviewResult = { result?: unknown } & Partial<Schemas['ExpressionPreviewError']>;

// --- users, sharing, single sign-on --------------------------------------------------------------------

/** A person as their organisations' admins see them (GET /api/users/): memberships there only. */
export type User = Schemas['User'];
export type UserMembership = Schemas['UserMembership'];
/** Who may act on a flow or connection and why, and the shares that can be taken back. */
export type Access = Schemas['Access'];
export type Share = Schemas['Share'];
export type AccessPerson = Schemas['AccessPerson'];
export type ShareCandidate = Schemas['ShareCandidate'];
export type SharePermission = Schemas['SharePermissionEnum'];
export type ShareBody = Schemas['ShareRequest'];
export type ShareTargetBody = Schemas['ShareTargetRequest'];
/** An organisation's single sign-on; the client secret is write-only (`client_secret_set` says if one is stored). */
export type SsoSettings = Schemas['SSOSettings'];
export type SsoSettingsBody = Schemas['SSOSettingsRequest'];
