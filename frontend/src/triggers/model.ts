// Pure helpers behind the Triggers page: health labels and tones, the "kind" and "next poll" texts, the
// summary line, the health filter, who may operate, and the messages of refused actions. No React, no
// HTTP: unit-tested in model.test.ts.
import { errorMessage, type ApiErrorLike } from '../api/client';
import type { Trigger, TriggerAction, TriggerHealth } from '../api/types';

export type Tone = 'ok' | 'idle' | 'fail' | 'warn';

interface HealthInfo {
  label: string;
  tone: Tone;
  /** The chip's tooltip: what the state means for the operator. */
  description: string;
}

export const HEALTH: Record<TriggerHealth, HealthInfo> = {
  healthy: { label: 'Healthy', tone: 'ok', description: 'The last poll succeeded.' },
  waiting: { label: 'Waiting', tone: 'idle', description: 'Not polled yet: it runs at its first due time.' },
  failing: { label: 'Failing', tone: 'fail', description: 'The last poll failed; it is retried with a growing delay.' },
  paused: { label: 'Paused', tone: 'warn', description: 'Paused by an operator: not polled until resumed.' },
  removed: { label: 'Removed', tone: 'idle', description: 'No longer in the published flow: publish a version that has it.' },
};

export function healthLabel(h: TriggerHealth | string): string {
  return HEALTH[h as TriggerHealth]?.label ?? h;
}

export function healthTone(h: TriggerHealth | string): Tone {
  return HEALTH[h as TriggerHealth]?.tone ?? 'idle';
}

export function healthDescription(h: TriggerHealth | string): string {
  return HEALTH[h as TriggerHealth]?.description ?? '';
}

/** 45 -> "45 s", 300 -> "5 min", 5400 -> "90 min", 3600 -> "1 h", 86400 -> "1 d". */
export function formatInterval(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60 || s % 60) return `${s} s`;
  const min = s / 60;
  if (min < 60 || min % 60) return `${min} min`;
  const h = min / 60;
  if (h < 24 || h % 24) return `${h} h`;
  return `${h / 24} d`;
}

/** "Polling every 5 min", "Schedule every 1 h" or "Schedule: cron 0 2 * * * (organisation time)" (a cron schedule's
 * interval is nominal, so its expression is shown instead). */
export function kindText(t: Pick<Trigger, 'kind' | 'interval_s' | 'cron'>): string {
  if (t.kind === 'poll') return `Polling every ${formatInterval(t.interval_s)}`;
  return t.cron ? `Schedule: cron ${t.cron} (organisation time)` : `Schedule every ${formatInterval(t.interval_s)}`;
}

/** "in 30 s", "in 5 min", "in 2 h", "in 3 d"; "due now" when the time has come. */
export function timeUntil(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  if (s <= 0) return 'due now';
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86400)} d`;
}

/** The "Next poll" cell: "paused" while paused, "—" once removed, else when it is next due. */
export function nextPollText(t: Pick<Trigger, 'health' | 'paused_at' | 'next_poll_at'>, now = Date.now()): string {
  if (t.health === 'removed') return '—';
  if (t.paused_at || t.health === 'paused') return 'paused';
  return timeUntil(t.next_poll_at, now);
}

export interface Counts {
  total: number;
  healthy: number;
  waiting: number;
  failing: number;
  paused: number;
  removed: number;
}

export function countByHealth(triggers: readonly Pick<Trigger, 'health'>[]): Counts {
  const c: Counts = { total: triggers.length, healthy: 0, waiting: 0, failing: 0, paused: 0, removed: 0 };
  for (const t of triggers) if (t.health in HEALTH) c[t.health] += 1;
  return c;
}

/** "12 triggers · 1 failing · 2 paused"; "3 triggers · none failing" when all is well. */
export function summaryLine(c: Counts): string {
  const parts = [`${c.total} trigger${c.total === 1 ? '' : 's'}`];
  if (c.failing) parts.push(`${c.failing} failing`);
  if (c.paused) parts.push(`${c.paused} paused`);
  if (c.removed) parts.push(`${c.removed} removed`);
  if (c.total && !c.failing) parts.splice(1, 0, 'none failing');
  return parts.join(' · ');
}

export type HealthFilter = 'all' | 'failing' | 'paused' | 'healthy';

export const FILTERS: { value: HealthFilter; label: string; title: string }[] = [
  { value: 'all', label: 'All', title: 'Every trigger' },
  { value: 'failing', label: 'Failing', title: 'The last poll failed' },
  { value: 'paused', label: 'Paused', title: 'Paused by an operator' },
  { value: 'healthy', label: 'Healthy', title: 'Working: polled successfully, or waiting for the first poll' },
];

/** Whether a trigger shows under a filter. "Healthy" includes those waiting for their first poll. */
export function matchesFilter(t: Pick<Trigger, 'health'>, f: HealthFilter): boolean {
  if (f === 'all') return true;
  if (f === 'healthy') return t.health === 'healthy' || t.health === 'waiting';
  return t.health === f;
}

export function filterTriggers<T extends Pick<Trigger, 'health'>>(triggers: readonly T[], f: HealthFilter): T[] {
  return triggers.filter((t) => matchesFilter(t, f));
}

/** How many triggers each filter chip would show. */
export function filterCounts(c: Counts): Record<HealthFilter, number> {
  return { all: c.total, failing: c.failing, paused: c.paused, healthy: c.healthy + c.waiting };
}

/** The list with one trigger replaced by its updated version (same position; unknown ids leave it as is). */
export function replaceTrigger<T extends { id: number }>(list: readonly T[], updated: T): T[] {
  return list.map((t) => (t.id === updated.id ? updated : t));
}

/** Roles that may pause, resume and poll (the API's "operate" action). */
export const OPERATE_ROLES = ['admin', 'operator'];

export function canOperate(role: string | null | undefined): boolean {
  return !!role && OPERATE_ROLES.includes(role);
}

/** Why the action buttons are disabled for a role that may not operate (their tooltip). */
export function operateBlockedReason(role: string | null | undefined): string {
  return `Your role (${role ?? 'none'}) may see triggers but not pause, resume or poll them. Ask an admin or operator.`;
}

export interface RowActions {
  pause: boolean;
  resume: boolean;
  pollNow: boolean;
  /** All shown buttons are disabled (removed trigger, a request in flight, or a role that may not operate). */
  disabled: boolean;
  /** Tooltip explaining why they are disabled, when they are. */
  reason?: string;
}

/** Which buttons a row shows: Pause + Poll now while running, Resume while paused. */
export function rowActions(
  t: Pick<Trigger, 'health' | 'paused_at'>,
  opts: { role: string | null | undefined; busy: boolean },
): RowActions {
  const paused = !!t.paused_at || t.health === 'paused';
  const shown = { pause: !paused, resume: paused, pollNow: !paused };
  if (!canOperate(opts.role)) return { ...shown, disabled: true, reason: operateBlockedReason(opts.role) };
  if (t.health === 'removed') return { ...shown, disabled: true, reason: healthDescription('removed') };
  if (opts.busy) return { ...shown, disabled: true, reason: 'Working…' };
  return { ...shown, disabled: false };
}

/** The toast after an action succeeded. */
export function actionDoneText(action: TriggerAction, t: Pick<Trigger, 'node_label' | 'flow_name'>): { title: string; hint: string } {
  const name = `“${t.node_label}” (${t.flow_name})`;
  if (action === 'pause') return { title: `Paused ${name}`, hint: 'It is not polled until you resume it.' };
  if (action === 'resume') return { title: `Resumed ${name}`, hint: 'It polls right away and catches up on what arrived while paused.' };
  return { title: `Polling ${name} now`, hint: 'The result shows here in a few seconds.' };
}

export function actionVerb(action: TriggerAction): string {
  return action === 'poll-now' ? 'poll' : action;
}

/**
 * A refused action as one line (`errorMessage`), in the operator's terms: field messages without the
 * field's name (the "field" of a trigger action is the action itself), and a 403 that says nothing
 * explained.
 */
export function errorText(e: ApiErrorLike): string {
  return errorMessage(e, { fieldNames: false, byStatus: { 403: 'You may not operate this trigger.' } });
}

const AUTH_ERROR = /\b40[13]\b|unauthori[sz]ed|forbidden|token|expired|credential|invalid[_ ](grant|client)|authenticat/i;

/** One line under a failing row: what to do about it. */
export function failureHint(t: Pick<Trigger, 'kind' | 'last_error'>): string {
  if (t.kind === 'schedule') return 'Open the flow and check its last run, then Poll now.';
  if (AUTH_ERROR.test(t.last_error)) return 'Check the connection’s credentials (a token may have expired), then Poll now.';
  return 'Check the connection, then Poll now.';
}

/** "3 failures in a row" */
export function failuresText(n: number): string {
  return n === 1 ? '1 failure' : `${n} failures in a row`;
}
