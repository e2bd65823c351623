// Runs: the history, one run with its node runs, its events, and the operator's actions
// (flowbuilder/api/views/runs.py). The live view comes over the websocket (../runs/runSocket.ts).
import { byId, http, listQuery, unwrap, type LooseQuery } from './client';
import type { RunDetail } from './types';

export const runsApi = {
  list: (q: LooseQuery<'/api/runs/'>) => unwrap(http.GET('/api/runs/', { params: { query: listQuery<'/api/runs/'>(q) } })),
  get: (id: number | string) => unwrap(http.GET('/api/runs/{id}/', byId(id))) as Promise<RunDetail>,
  events: (id: number | string, afterSeq = 0) =>
    unwrap(http.GET('/api/runs/{id}/events/', { params: { path: { id: id as number }, query: { after_seq: afterSeq } } })),
  cancel: (id: number | string) => unwrap(http.POST('/api/runs/{id}/cancel/', byId(id))),
  retry: (id: number | string) => unwrap(http.POST('/api/runs/{id}/retry/', byId(id))),
  replay: (id: number | string) => unwrap(http.POST('/api/runs/{id}/replay/', byId(id))),
};
