// The approvals inbox: requests an approval node waits on, and deciding them
// (flowbuilder/api/views/approvals.py).
import { byId, http, unwrap } from './client';
import type { components } from './schema';

export type Approval = components['schemas']['Approval'];
export type ApprovalStatus = components['schemas']['ApprovalStatusEnum'];
export type Decision = components['schemas']['DecisionEnum'];

export const approvalsApi = {
  /** Approvals of one organisation, newest first; `mine` keeps those the user may decide. */
  list: (organisation: number, q: { status?: ApprovalStatus; mine?: boolean; limit?: number } = {}) =>
    unwrap(http.GET('/api/approvals/', { params: { query: { organisation, limit: 200, ...q } } })),
  decide: (id: number, body: { decision: Decision; reason?: string; items?: Record<string, unknown>[] | null }) =>
    unwrap(
      http.POST('/api/approvals/{id}/decide/', { ...byId(id), body, headers: { 'X-Flowbuilder-Client': 'inbox' } }),
    ),
};
