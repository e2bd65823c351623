// A draft's pinned data per node and the version history of a flow (flowbuilder/api/views/flow_history.py):
// pins are stored on the server with the draft (never in the browser) and never read by published runs.
import { byId, http, unwrap } from './client';
import type { FlowDetail, FlowDocument, Item, Schemas } from './types';

export type PinnedData = Omit<Schemas['PinnedData'], 'items'> & { items: Item[] };
export type VersionDiff = Omit<Schemas['VersionDiff'], 'base_document' | 'head_document'> & {
  base_document: FlowDocument;
  head_document: FlowDocument;
};

const pinPath = (id: number, nodeId: string) => ({ params: { path: { id, node_id: nodeId } } });

export const historyApi = {
  pins: (flowId: number) => unwrap(http.GET('/api/flows/{id}/pins/', byId(flowId))) as Promise<PinnedData[]>,
  pin: (flowId: number, nodeId: string, items: Item[]) =>
    unwrap(http.PUT('/api/flows/{id}/pins/{node_id}/', { ...pinPath(flowId, nodeId), body: { items } })) as Promise<PinnedData>,
  unpin: (flowId: number, nodeId: string) => unwrap(http.DELETE('/api/flows/{id}/pins/{node_id}/', pinPath(flowId, nodeId))),
  /** `from`/`to`: a version number or "draft"; defaults: the published version against the draft. */
  diff: (flowId: number, from?: string, to?: string) =>
    unwrap(http.GET('/api/flows/{id}/diff/', { params: { path: { id: flowId }, query: { from, to } } })) as Promise<VersionDiff>,
  restore: (flowId: number, number: number) =>
    unwrap(http.POST('/api/flows/{id}/versions/{number}/restore/', { params: { path: { id: flowId, number: String(number) } } })) as Promise<FlowDetail>,
};
