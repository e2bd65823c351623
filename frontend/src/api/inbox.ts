// The failure inbox (flowbuilder/api/views/inbox.py): groups of failures by cause, flow, node or customer;
// failures with assign, comment, snooze and resolve; bulk batches whose progress the page polls
// (a revalidation is one: its results say per failure whether it would pass now).
import { byId, http, unwrap } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type Inbox = S['InboxShape'];
export type InboxGroup = S['InboxGroupShape'];
export type GroupBy = S['InboxShapeGroupByEnum'];
export type Failure = S['Failure'];
export type Batch = S['Batch'];
export type BatchInput = S['BatchRequest'];
export type BulkActionName = BatchInput['action'];
export type RevalidationResult = S['RevalidationResultShape'];
export type InputChange = S['InputChangeShape'];
export type RevalidateTarget = S['TargetEnum'];

export interface InboxFilters {
  state?: 'open' | 'snoozed' | 'resolved' | 'all';
  group?: string;
}

export const inboxApi = {
  groups: (organisation: number, group_by: GroupBy, filters: InboxFilters = {}) =>
    unwrap(http.GET('/api/inbox/', { params: { query: { organisation, group_by, ...filters } } })),
  failures: (organisation: number, filters: InboxFilters = {}, limit = 50) =>
    unwrap(http.GET('/api/failures/', { params: { query: { organisation, ...filters, limit } } })),
  assign: (id: number, assignee: number | null) =>
    unwrap(http.POST('/api/failures/{id}/assign/', { ...byId(id), body: { assignee } })),
  snooze: (id: number, until: string) => unwrap(http.POST('/api/failures/{id}/snooze/', { ...byId(id), body: { until } })),
  resolve: (id: number) => unwrap(http.POST('/api/failures/{id}/resolve/', byId(id))),
  comment: (id: number, body: string) =>
    unwrap(http.POST('/api/failures/{id}/comments/', { ...byId(id), body: { body } })),
  startBatch: (body: BatchInput) => unwrap(http.POST('/api/inbox-batches/', { body })),
  batch: (id: number) => unwrap(http.GET('/api/inbox-batches/{id}/', byId(id))),
  // Replay the failures a finished revalidation found passing, on the version it evaluated.
  replayPassing: (id: number) => unwrap(http.POST('/api/inbox-batches/{id}/replay-passing/', byId(id))),
};
