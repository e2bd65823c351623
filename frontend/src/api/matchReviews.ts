// Duplicate-match reviews: customers the match node held for a person, and deciding them
// (flowbuilder/api/views/match_reviews.py).
import { byId, http, unwrap } from './client';
import type { components } from './schema';

export type MatchReview = components['schemas']['MatchReview'];
export type MatchStatus = components['schemas']['MatchReviewStatusEnum'];
export type MatchDecisionResult = components['schemas']['MatchDecisionResult'];

export const matchReviewsApi = {
  /** Reviews of one organisation, newest first; `decided` false: pending only, true: decided only. */
  list: (organisation: number, q: { status?: MatchStatus; decided?: boolean; limit?: number } = {}) =>
    unwrap(http.GET('/api/match-reviews/', { params: { query: { organisation, limit: 100, ...q } } })),
  decide: (id: number, body: { decision: 'link' | 'create'; target_id?: string; replay?: boolean }) =>
    unwrap(http.POST('/api/match-reviews/{id}/decide/', { ...byId(id), body })),
};
