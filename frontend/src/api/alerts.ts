// Alert rules and incidents (flowbuilder/api/views/alerts.py). A partner's rules watch all its customers.
import { byId, http, unwrap } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type AlertRule = S['AlertRule'];
export type AlertRuleInput = S['AlertRuleRequest'];
export type AlertKind = S['AlertKindEnum'];
export type ChannelKind = S['ChannelKindEnum'];
export type Incident = S['Incident'];

export const alertsApi = {
  rules: () => unwrap(http.GET('/api/alert-rules/', { params: { query: { limit: 200 } } })),
  createRule: (body: AlertRuleInput) => unwrap(http.POST('/api/alert-rules/', { body })),
  deleteRule: (id: number) => unwrap(http.DELETE('/api/alert-rules/{id}/', byId(id))),
  incidents: (status?: 'open' | 'acknowledged' | 'resolved') =>
    unwrap(http.GET('/api/incidents/', { params: { query: { ...(status ? { status } : {}), limit: 100 } } })),
  acknowledge: (id: number) => unwrap(http.POST('/api/incidents/{id}/acknowledge/', byId(id))),
  resolve: (id: number) => unwrap(http.POST('/api/incidents/{id}/resolve/', byId(id))),
};
