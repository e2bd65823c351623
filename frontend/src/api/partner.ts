// The partner area's API: customers (overview, memberships, invites), branding, templates and the
// customer copies made from them (flowbuilder/api/views/{tenancy,templates}.py).
import createClient from 'openapi-fetch';
import { csrf, unwrap } from './client';
import type { ApiErrorBody, FlowDocument, JSONValue, Page } from './types';

export type Role = 'admin' | 'builder' | 'operator' | 'approver' | 'viewer';
export const ROLES: Role[] = ['admin', 'builder', 'operator', 'approver', 'viewer'];

export type Health = 'healthy' | 'degraded' | 'failing' | 'idle';

/** One row of GET /api/organisations/{id}/overview/. */
export interface CustomerOverview {
  organisation: { id: number; name: string; slug: string };
  flows: number;
  published_flows: number;
  runs: { total: number; succeeded: number; failed: number; running: number };
  last_run_at: string | null;
  last_failure_at: string | null;
  health: Health;
}

export interface OrganisationInfo {
  id: number;
  name: string;
  slug: string;
  kind: 'partner' | 'customer';
  parent: number | null;
  created_at: string;
}

export interface Membership {
  id: number;
  organisation: number;
  username: string;
  role: Role;
  created_at: string;
}

export interface BrandingSettings {
  product_name: string;
  logo_url: string;
  favicon_url: string;
  primary_color: string;
  accent_color: string;
  support_email: string;
  support_url: string;
  login_text: string;
  host_name: string | null;
}

export interface ConnectionSlot {
  name: string;
  kind: 'connection';
  connector: string;
  nodes: string[];
  required: boolean;
  description: string;
}

export interface ValueParameter {
  name: string;
  kind: 'value';
  pointer: string;
  required: boolean;
  default?: JSONValue;
  description: string;
}

export type TemplateParameter = ConnectionSlot | ValueParameter;

export interface Template {
  id: number;
  organisation: number;
  name: string;
  description: string;
  category: string;
  tags: string[];
  source_flow: number | null;
  latest_version: number | null;
  created_at: string;
  updated_at: string;
}

export interface TemplateVersion {
  id: number;
  template: number;
  number: number;
  parameters: TemplateParameter[];
  changelog: string;
  created_by: string | null;
  created_at: string;
  document?: FlowDocument;
}

export interface TemplateInstance {
  id: number;
  template: number;
  template_name: string;
  customer: number;
  flow: number;
  version: number;
  previous_version: number | null;
  pinned: boolean;
  parameter_values: Record<string, JSONValue>;
  created_at: string;
  updated_at: string;
}

export interface CloneTarget {
  customer: number;
  parameters: Record<string, JSONValue>;
  name?: string;
}

export interface CloneResult {
  customer: number | null;
  ok: boolean;
  errors: Record<string, string[]>;
  instance?: number;
  flow?: number;
  version?: number;
  unbound?: string[];
}

export interface CloneResponse {
  cloned: number;
  failed: number;
  results: CloneResult[];
}

/** A dry run checks parameters, validates the rendered flow and tests the bound connections. */
export interface DryRunResult extends CloneResult {
  dry_run: true;
  findings?: { node_id?: string | null; field?: string | null; message: string }[];
  connections?: Record<string, { ok: boolean; message: string }>;
  ready_to_publish?: boolean;
}

export interface DryRunResponse {
  dry_run: true;
  ready: number;
  not_ready: number;
  results: DryRunResult[];
}

export interface ValueChange {
  path: string;
  op: 'add' | 'remove' | 'replace';
  old: JSONValue;
  new: JSONValue;
}

export interface NodeSummary {
  id: string;
  type: string | null;
  label: string | null;
}

export interface EdgeSummary {
  id: string | null;
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

/** flowbuilder/flows/graph_diff.py diff_documents(). */
export interface GraphDiff {
  nodes_added: NodeSummary[];
  nodes_removed: NodeSummary[];
  nodes_changed: (NodeSummary & { changes: ValueChange[] })[];
  edges_added: EdgeSummary[];
  edges_removed: EdgeSummary[];
  document_changes: ValueChange[];
  summary: Record<string, number>;
}

export interface MergeConflict {
  kind: string;
  node: string | null;
  path: string;
  base: JSONValue;
  ours: JSONValue;
  theirs: JSONValue;
}

export interface UpgradePreview {
  instance: number;
  customer: number;
  flow: number;
  from_version: number;
  to_version: number;
  pinned: boolean;
  diff: GraphDiff;
  changes: GraphDiff;
  conflicts: MergeConflict[];
  warnings: string[];
  missing_parameters: string[];
}

export type Resolution = 'ours' | 'theirs' | 'base' | { value: JSONValue };

export interface UpgradeResult {
  instance: number;
  status: 'upgraded' | 'conflicts' | 'skipped_pinned' | 'up_to_date' | 'not_found' | 'missing_parameters' | string;
  conflicts: MergeConflict[];
  missing_parameters?: string[];
  warnings?: string[];
}

export interface DriftRow {
  instance: number;
  customer: number;
  flow: number;
  version: number;
  drifted: boolean;
  diff: GraphDiff;
}

export interface PartnerConnection {
  id: number;
  ref: string;
  name: string;
  connector: string;
  environment: string;
}

type Json<T> = { content: { 'application/json': T } };
type Err = { 400: Json<ApiErrorBody>; 403: Json<ApiErrorBody>; 404: Json<ApiErrorBody> };
type IdPath = { path: { id: number | string } };
type Get<T, Q = never> = { get: { parameters: { query?: Q } & Partial<IdPath>; responses: { 200: Json<T> } & Err } };
type Post<B, T> = { post: { parameters: Partial<IdPath>; requestBody: Json<B>; responses: { 200: Json<T>; 201: Json<T> } & Err } };
type ListQ = { organisation?: number; template?: number; connector?: string; limit?: number; search?: string };

interface PartnerPaths {
  '/api/organisations/': Get<Page<OrganisationInfo>, ListQ>;
  '/api/organisations/{id}/overview/': Get<CustomerOverview[]>;
  '/api/organisations/{id}/customers/': Post<{ name: string }, OrganisationInfo>;
  '/api/organisations/{id}/invite/': Post<{ email: string; role: Role }, Membership>;
  '/api/organisations/{id}/branding/': Get<Partial<BrandingSettings>> & {
    put: { parameters: IdPath; requestBody: Json<Partial<BrandingSettings>>; responses: { 200: Json<BrandingSettings> } & Err };
  };
  '/api/memberships/': Get<Page<Membership>, ListQ> & Post<{ organisation: number; username: string; role: Role }, Membership>;
  '/api/memberships/{id}/': { delete: { parameters: IdPath; responses: { 204: { content?: never } } & Err } };
  '/api/templates/': Get<Page<Template>, ListQ> &
    Post<{ organisation: number; name: string; description?: string; category?: string; source_flow?: number | null }, Template>;
  '/api/templates/{id}/': Get<Template>;
  '/api/templates/{id}/versions/': Get<TemplateVersion[]> &
    Post<{ source: 'draft' | 'published'; parameters: TemplateParameter[]; changelog: string }, TemplateVersion>;
  '/api/templates/{id}/instances/': Get<TemplateInstance[]>;
  '/api/templates/{id}/clone/': Post<{ version?: number | null; customers: CloneTarget[]; dry_run?: boolean }, CloneResponse>;
  '/api/templates/{id}/preview-upgrade/': Post<{ version: number; instances: number[] }, { results: UpgradePreview[] }>;
  '/api/templates/{id}/upgrade/': Post<
    { version: number; instances: number[]; resolutions: Record<string, Record<string, Resolution>> },
    { results: UpgradeResult[] }
  >;
  '/api/templates/{id}/drift/': Get<{ results: DriftRow[] }>;
  '/api/template-instances/': Get<Page<TemplateInstance>, ListQ>;
  '/api/template-instances/{id}/pin/': Post<undefined, TemplateInstance>;
  '/api/template-instances/{id}/unpin/': Post<undefined, TemplateInstance>;
  '/api/template-instances/{id}/rollback/': Post<undefined, TemplateInstance>;
  '/api/connections/': Get<Page<PartnerConnection>, ListQ>;
}

const http = createClient<PartnerPaths>({ baseUrl: '', credentials: 'same-origin' });
http.use(csrf);

const rows = <T,>(data: Page<T> | T[]): T[] => (Array.isArray(data) ? data : data.results);
const p = (id: number | string) => ({ params: { path: { id } } });

export const partnerApi = {
  organisations: async () => rows(await unwrap<Page<OrganisationInfo>>(http.GET('/api/organisations/', { params: { query: { limit: 1000 } } }))),
  overview: (partner: number) => unwrap<CustomerOverview[]>(http.GET('/api/organisations/{id}/overview/', p(partner))),
  createCustomer: (partner: number, name: string) =>
    unwrap<OrganisationInfo>(http.POST('/api/organisations/{id}/customers/', { ...p(partner), body: { name } })),
  invite: (organisation: number, email: string, role: Role) =>
    unwrap<Membership>(http.POST('/api/organisations/{id}/invite/', { ...p(organisation), body: { email, role } })),
  members: async (organisation: number) =>
    rows(await unwrap<Page<Membership>>(http.GET('/api/memberships/', { params: { query: { organisation, limit: 1000 } } }))),
  setRole: (organisation: number, username: string, role: Role) =>
    unwrap<Membership>(http.POST('/api/memberships/', { body: { organisation, username, role } })),
  removeMember: (id: number) => unwrap<unknown>(http.DELETE('/api/memberships/{id}/', p(id))),
  branding: (organisation: number) => unwrap<Partial<BrandingSettings>>(http.GET('/api/organisations/{id}/branding/', p(organisation))),
  saveBranding: (organisation: number, body: Partial<BrandingSettings>) =>
    unwrap<BrandingSettings>(http.PUT('/api/organisations/{id}/branding/', { ...p(organisation), body })),

  templates: async (organisation: number) =>
    rows(await unwrap<Page<Template>>(http.GET('/api/templates/', { params: { query: { organisation, limit: 1000 } } }))),
  template: (id: number | string) => unwrap<Template>(http.GET('/api/templates/{id}/', p(id))),
  createTemplate: (body: { organisation: number; name: string; description?: string; category?: string; source_flow?: number | null }) =>
    unwrap<Template>(http.POST('/api/templates/', { body })),
  versions: (id: number | string) => unwrap<TemplateVersion[]>(http.GET('/api/templates/{id}/versions/', p(id))),
  publishVersion: (id: number | string, body: { source: 'draft' | 'published'; parameters: TemplateParameter[]; changelog: string }) =>
    unwrap<TemplateVersion>(http.POST('/api/templates/{id}/versions/', { ...p(id), body })),
  instances: (id: number | string) => unwrap<TemplateInstance[]>(http.GET('/api/templates/{id}/instances/', p(id))),
  allInstances: async () =>
    rows(await unwrap<Page<TemplateInstance>>(http.GET('/api/template-instances/', { params: { query: { limit: 5000 } } }))),
  clone: (id: number | string, body: { version?: number | null; customers: CloneTarget[] }) =>
    unwrap<CloneResponse>(http.POST('/api/templates/{id}/clone/', { ...p(id), body })),
  dryRunClone: (id: number | string, body: { version?: number | null; customers: CloneTarget[] }) =>
    unwrap<DryRunResponse>(
      http.POST('/api/templates/{id}/clone/', { ...p(id), body: { ...body, dry_run: true } }) as never,
    ),
  previewUpgrade: (id: number | string, version: number, instances: number[]) =>
    unwrap<{ results: UpgradePreview[] }>(http.POST('/api/templates/{id}/preview-upgrade/', { ...p(id), body: { version, instances } })),
  upgrade: (id: number | string, version: number, instances: number[], resolutions: Record<string, Record<string, Resolution>>) =>
    unwrap<{ results: UpgradeResult[] }>(http.POST('/api/templates/{id}/upgrade/', { ...p(id), body: { version, instances, resolutions } })),
  drift: (id: number | string) => unwrap<{ results: DriftRow[] }>(http.GET('/api/templates/{id}/drift/', p(id))),
  pin: (id: number) => unwrap<TemplateInstance>(http.POST('/api/template-instances/{id}/pin/', { ...p(id), body: undefined })),
  unpin: (id: number) => unwrap<TemplateInstance>(http.POST('/api/template-instances/{id}/unpin/', { ...p(id), body: undefined })),
  rollback: (id: number) => unwrap<TemplateInstance>(http.POST('/api/template-instances/{id}/rollback/', { ...p(id), body: undefined })),
  connections: async (organisation: number, connector: string) =>
    rows(await unwrap<Page<PartnerConnection>>(http.GET('/api/connections/', { params: { query: { organisation, connector, limit: 500 } } }))),
};
