// Flows, their versions, the palette and expression previews (flowbuilder/api/views/{flows,palette}.py).
// Every body and answer is the generated type; where the editor reads the flow document (a JSON object to
// the API) an answer is read as the ./types name that narrows it (FlowDetail, FlowVersion, NodeType).
import { byId, http, listQuery, unwrap, type LooseQuery } from './client';
import type { FlowDetail, FlowDocument, FlowVersion, Item, NodeType, PreviewResult, ScheduleConfig } from './types';

/** template: text is literal, only `{{ }}` parts are evaluated (URL, body, mapped values); expression: bare JSONata. */
export type PreviewMode = 'template' | 'expression';

export const flowsApi = {
  /** What is live in each environment (one prod-like environment when the organisation has none). */
  environments: (id: number | string) => unwrap(http.GET('/api/flows/{id}/environments/', byId(id))),
  /** Promote into an environment (draft -> dev -> test -> prod), binding its connections by slot. */
  promote: (id: number | string, environment: 'dev' | 'test' | 'prod') =>
    unwrap(http.POST('/api/flows/{id}/promote/', { ...byId(id), body: { environment } })),
  /** Take a dev or test release down: its triggers stop firing (its runs stay). */
  withdraw: (id: number | string, environment: 'dev' | 'test') =>
    unwrap(http.DELETE('/api/flows/{id}/releases/{environment}/', { params: { path: { id: Number(id), environment } } })),
  list: (q: LooseQuery<'/api/flows/'>) => unwrap(http.GET('/api/flows/', { params: { query: listQuery<'/api/flows/'>(q) } })),
  create: (body: { organisation: number; name: string; description?: string; tags?: string[]; document?: FlowDocument }) =>
    unwrap(http.POST('/api/flows/', { body })),
  import: (organisation: number, data: unknown) => unwrap(http.POST('/api/flows/import/', { body: { organisation, data } })),
  get: (id: number | string) => unwrap(http.GET('/api/flows/{id}/', byId(id))) as Promise<FlowDetail>,
  patch: (id: number | string, body: { name?: string; description?: string; tags?: string[] }) =>
    unwrap(http.PATCH('/api/flows/{id}/', { ...byId(id), body })),
  saveDraft: (id: number | string, document: FlowDocument, revision: number, force = false) =>
    unwrap(http.PUT('/api/flows/{id}/draft/', { ...byId(id), body: { document, revision, ...(force ? { force } : {}) } })),
  validate: (id: number | string, document: FlowDocument) => unwrap(http.POST('/api/flows/{id}/validate/', { ...byId(id), body: { document } })),
  publish: (id: number | string, comment: string) => unwrap(http.POST('/api/flows/{id}/publish/', { ...byId(id), body: { comment } })),
  versions: (id: number | string) => unwrap(http.GET('/api/flows/{id}/versions/', byId(id))),
  version: (id: number | string) => unwrap(http.GET('/api/versions/{id}/', byId(id))) as Promise<FlowVersion>,
  export: (id: number | string) => unwrap(http.GET('/api/flows/{id}/export/', byId(id))),
  run: (id: number | string, body: { input?: Item | Item[]; use_draft?: boolean; only_node?: string; pinned?: Record<string, Item[]> }) =>
    unwrap(http.POST('/api/flows/{id}/run/', { ...byId(id), body })),
  nodeTypes: () => unwrap(http.GET('/api/node-types/')) as Promise<NodeType[]>,
  /** The next five fire times of a schedule trigger's config, in the flow's organisation's time zone. */
  schedulePreview: (id: number | string, body: ScheduleConfig) =>
    unwrap(http.POST('/api/flows/{id}/schedule-preview/', { ...byId(id), body })),
  /** 200 `{result}`, or the expression's own error as a 400 `{error, position}`: both are answers here. */
  previewExpression: async (expression: string, item?: Item, mode: PreviewMode = 'expression'): Promise<PreviewResult> => {
    const { data, error, response } = await http.POST('/api/expressions/preview/', { body: { expression, item, mode } });
    if (error && 'error' in error) return error;
    return unwrap(Promise.resolve({ data, error, response }));
  },
};
