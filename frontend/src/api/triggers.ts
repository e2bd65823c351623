// Triggers that run on their own (connector polling triggers and schedules) and the operator actions on
// them: pause, resume, poll now (flowbuilder/api/views/triggers.py).
import { byId, http, unwrap } from './client';
import type { Trigger, TriggerAction, TriggerKind } from './types';

export const triggersApi = {
  /** Up to `limit` triggers of one organisation (ordered by flow name, then node), with the total. */
  list: (organisation: number, q: { flow?: number; kind?: TriggerKind; limit?: number; offset?: number } = {}) =>
    unwrap(http.GET('/api/triggers/', { params: { query: { organisation, limit: 500, ...q } } })),
  get: (id: number) => unwrap(http.GET('/api/triggers/{id}/', byId(id))),
  pause: (id: number) => unwrap(http.POST('/api/triggers/{id}/pause/', byId(id))),
  resume: (id: number) => unwrap(http.POST('/api/triggers/{id}/resume/', byId(id))),
  pollNow: (id: number) => unwrap(http.POST('/api/triggers/{id}/poll-now/', byId(id))),
};

/** Runs one operator action by name; each answers with the updated trigger (400 when refused, 403 by role). */
export function runTriggerAction(action: TriggerAction, id: number): Promise<Trigger> {
  if (action === 'pause') return triggersApi.pause(id);
  if (action === 'resume') return triggersApi.resume(id);
  return triggersApi.pollNow(id);
}
