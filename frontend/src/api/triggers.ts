// Triggers that run on their own (connector polling triggers and schedules) and the operator actions on
// them: pause, resume, poll now (flowbuilder/api/views/triggers.py). Typed from the generated schema.
import createClient from 'openapi-fetch';
import { csrf, unwrap } from './client';
import type { Page, Schemas, paths } from './types';

/** One trigger row (a PollingState) as GET /api/triggers/ and the actions return it. */
export type Trigger = Schemas['Trigger'];
export type TriggerHealth = Schemas['TriggerHealthEnum'];
export type TriggerKind = Schemas['TriggerKindEnum'];

/** The operator actions; each answers with the updated trigger (400 when refused, 403 by role). */
export type TriggerAction = 'pause' | 'resume' | 'poll-now';

const http = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
http.use(csrf);

const byId = (id: number) => ({ params: { path: { id } } });

export const triggersApi = {
  /** Up to `limit` triggers of one organisation (ordered by flow name, then node), with the total. */
  list: (organisation: number, q: { flow?: number; kind?: TriggerKind; limit?: number; offset?: number } = {}) =>
    unwrap<Page<Trigger>>(http.GET('/api/triggers/', { params: { query: { organisation, limit: 500, ...q } } })),
  get: (id: number) => unwrap<Trigger>(http.GET('/api/triggers/{id}/', byId(id))),
  pause: (id: number) => unwrap<Trigger>(http.POST('/api/triggers/{id}/pause/', byId(id))),
  resume: (id: number) => unwrap<Trigger>(http.POST('/api/triggers/{id}/resume/', byId(id))),
  pollNow: (id: number) => unwrap<Trigger>(http.POST('/api/triggers/{id}/poll-now/', byId(id))),
};

/** Runs one operator action by name. */
export function runTriggerAction(action: TriggerAction, id: number): Promise<Trigger> {
  if (action === 'pause') return triggersApi.pause(id);
  if (action === 'resume') return triggersApi.resume(id);
  return triggersApi.pollNow(id);
}
