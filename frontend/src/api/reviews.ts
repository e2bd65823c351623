// Flow-version reviews (four-eyes publishing, flowbuilder/api/views/reviews.py) and an organisation's
// governance settings. Not the run-time approval inbox (./approvals.ts).
import { byId, http, unwrap } from './client';
import type { components } from './schema';

export type Review = components['schemas']['Review'];
export type ReviewDetail = components['schemas']['ReviewDetail'];
export type Governance = components['schemas']['Governance'];

export type ReviewQuery = { waiting?: boolean; authored?: boolean; unseen?: boolean; assigned?: boolean; state?: Exclude<Review['state'], 'snapshot'>[] };

export const reviewsApi = {
  list: (organisation: number, q: ReviewQuery = {}) =>
    unwrap(http.GET('/api/reviews/', { params: { query: { organisation, limit: 100, ...q } } })),
  get: (id: number) => unwrap(http.GET('/api/reviews/{id}/', byId(id))),
  approve: (id: number, reason: string) => unwrap(http.POST('/api/reviews/{id}/approve/', { ...byId(id), body: { reason } })),
  reject: (id: number, reason: string) => unwrap(http.POST('/api/reviews/{id}/reject/', { ...byId(id), body: { reason } })),
  /** Who is asked to decide (user ids; empty: the organisation's approvers but the author). */
  assign: (id: number, assignees: number[]) => unwrap(http.POST('/api/reviews/{id}/assign/', { ...byId(id), body: { assignees } })),
  seen: (id: number) => unwrap(http.POST('/api/reviews/{id}/seen/', byId(id))),
  governance: (organisation: number) => unwrap(http.GET('/api/organisations/{id}/governance/', byId(organisation))),
  setGovernance: (organisation: number, body: Partial<Pick<Governance, 'require_publish_approval' | 'require_distinct_approver' | 'audit_retention_days' | 'environments_enabled' | 'environment_names' | 'prod_requires_test_run'>>) =>
    unwrap(http.PUT('/api/organisations/{id}/governance/', { ...byId(organisation), body })),
};
