import { describe, expect, it } from 'vitest';
import type { Trigger } from '../api/types';
import {
  actionDoneText, canOperate, countByHealth, errorText, failureHint, failuresText, filterCounts, filterTriggers, formatInterval,
  healthLabel, healthTone, kindText, matchesFilter, nextPollText, replaceTrigger, rowActions, summaryLine, timeUntil,
} from './model';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const at = (secondsFromNow: number) => new Date(NOW + secondsFromNow * 1000).toISOString();

const trigger = (over: Partial<Trigger> = {}): Trigger => ({
  id: 1, organisation: 10, flow: 5, flow_name: 'Billing', environment: 'prod', node_id: 'tick', node_label: 'Nightly billing',
  node_type: 'trigger.schedule', kind: 'schedule', cron: null, health: 'waiting', paused_at: null, paused_by: null, interval_s: 3600,
  next_poll_at: at(3600), last_polled_at: null, last_success_at: null, last_error: '', consecutive_failures: 0,
  last_run: null, runs_started: 0, duplicates_skipped: 0, echoes_skipped: 0, ...over,
});

const failing = trigger({
  id: 2, kind: 'poll', node_type: 'psa.kantata.record_updated', node_label: 'Time entries', health: 'failing',
  consecutive_failures: 3, last_error: 'Kantata answered 401: token expired.', interval_s: 300,
});
const paused = trigger({ id: 3, health: 'paused', paused_at: at(-600), paused_by: 'olga' });
const healthy = trigger({ id: 4, health: 'healthy', last_polled_at: at(-60), last_success_at: at(-60), runs_started: 7, last_run: 99 });
const removed = trigger({ id: 5, health: 'removed' });
const ALL = [trigger(), failing, paused, healthy, removed];

describe('health', () => {
  it('labels and tones each state (healthy green, waiting grey, failing red, paused amber, removed grey)', () => {
    expect(['healthy', 'waiting', 'failing', 'paused', 'removed'].map((h) => [healthLabel(h), healthTone(h)])).toEqual([
      ['Healthy', 'ok'], ['Waiting', 'idle'], ['Failing', 'fail'], ['Paused', 'warn'], ['Removed', 'idle'],
    ]);
  });

  it('shows an unknown state as sent, in grey', () => {
    expect([healthLabel('exploded'), healthTone('exploded')]).toEqual(['exploded', 'idle']);
  });
});

describe('kind and times', () => {
  it('formats intervals in the largest whole unit', () => {
    expect([45, 60, 300, 5400, 3600, 7200, 86400, 90].map(formatInterval)).toEqual([
      '45 s', '1 min', '5 min', '90 min', '1 h', '2 h', '1 d', '90 s',
    ]);
  });

  it('says how often a polling trigger polls; a schedule is a schedule', () => {
    expect(kindText(failing)).toBe('Polling every 5 min');
    expect(kindText(trigger())).toBe('Schedule every 1 h');
    expect(kindText(trigger({ cron: '0 2 * * *' }))).toBe('Schedule: cron 0 2 * * * (organisation time)');
  });

  it('counts down to the next poll and says when it is due', () => {
    expect([timeUntil(at(30), NOW), timeUntil(at(300), NOW), timeUntil(at(7200), NOW), timeUntil(at(3 * 86400), NOW)]).toEqual([
      'in 30 s', 'in 5 min', 'in 2 h', 'in 3 d',
    ]);
    expect(timeUntil(at(0), NOW)).toBe('due now');
    expect(timeUntil(at(-20), NOW)).toBe('due now');
    expect(timeUntil(null, NOW)).toBe('—');
  });

  it('next poll reads "paused" while paused and nothing once removed', () => {
    expect(nextPollText(trigger(), NOW)).toBe('in 1 h');
    expect(nextPollText(paused, NOW)).toBe('paused');
    expect(nextPollText(removed, NOW)).toBe('—');
    expect(nextPollText(trigger({ next_poll_at: null }), NOW)).toBe('—');
  });
});

describe('summary and filter', () => {
  it('counts by health and writes the summary line', () => {
    const c = countByHealth(ALL);
    expect(c).toEqual({ total: 5, healthy: 1, waiting: 1, failing: 1, paused: 1, removed: 1 });
    expect(summaryLine(c)).toBe('5 triggers · 1 failing · 1 paused · 1 removed');
    expect(summaryLine(countByHealth([healthy, trigger()]))).toBe('2 triggers · none failing');
    expect(summaryLine(countByHealth([healthy]))).toBe('1 trigger · none failing');
    expect(summaryLine(countByHealth([]))).toBe('0 triggers');
  });

  it('filters by health; "healthy" includes those waiting for their first poll', () => {
    const ids = (f: Parameters<typeof filterTriggers>[1]) => filterTriggers(ALL, f).map((t) => t.id);
    expect(ids('all')).toEqual([1, 2, 3, 4, 5]);
    expect(ids('failing')).toEqual([2]);
    expect(ids('paused')).toEqual([3]);
    expect(ids('healthy')).toEqual([1, 4]);
    expect(matchesFilter(removed, 'healthy')).toBe(false);
    expect(filterCounts(countByHealth(ALL))).toEqual({ all: 5, failing: 1, paused: 1, healthy: 2 });
  });

  it('replaces one row in place with the trigger an action returned', () => {
    const updated = { ...failing, health: 'paused' as const, paused_at: at(0) };
    const next = replaceTrigger(ALL, updated);
    expect(next.map((t) => t.id)).toEqual([1, 2, 3, 4, 5]);
    expect(next[1].health).toBe('paused');
    expect(next[0]).toBe(ALL[0]);
    expect(replaceTrigger(ALL, trigger({ id: 42 }))).toEqual(ALL);
  });
});

describe('actions', () => {
  it('only admins and operators may operate', () => {
    expect(['admin', 'operator', 'builder', 'approver', 'viewer', undefined].map(canOperate)).toEqual([
      true, true, false, false, false, false,
    ]);
  });

  it('shows Pause and Poll now while running, Resume while paused', () => {
    const run = rowActions(healthy, { role: 'operator', busy: false });
    expect(run).toEqual({ pause: true, resume: false, pollNow: true, disabled: false });
    const p = rowActions(paused, { role: 'admin', busy: false });
    expect([p.pause, p.resume, p.pollNow, p.disabled]).toEqual([false, true, false, false]);
  });

  it('disables the buttons for removed triggers, while busy, and for roles that may not operate (saying why)', () => {
    expect(rowActions(removed, { role: 'admin', busy: false })).toMatchObject({ disabled: true, reason: expect.stringMatching(/no longer in the published flow/i) });
    expect(rowActions(healthy, { role: 'admin', busy: true }).disabled).toBe(true);
    const viewer = rowActions(healthy, { role: 'viewer', busy: false });
    expect(viewer.disabled).toBe(true);
    expect(viewer.reason).toMatch(/viewer.*Ask an admin or operator/);
  });

  it('says what happened after an action', () => {
    expect(actionDoneText('pause', trigger()).title).toBe('Paused “Nightly billing” (Billing)');
    expect(actionDoneText('resume', trigger()).hint).toMatch(/catches up/);
    expect(actionDoneText('poll-now', trigger()).title).toMatch(/^Polling/);
  });

  it('turns a refusal into one readable line without repeating itself', () => {
    const body = { detail: 'The trigger is already paused.', errors: { paused: ['The trigger is already paused.'] } };
    expect(errorText({ status: 400, body })).toBe('The trigger is already paused.');
    expect(errorText({ status: 400, body: { detail: 'Invalid input.', errors: { enabled: ['Publish it again.'] }, hint: 'See the flow.' } })).toBe(
      'Invalid input. Publish it again. See the flow.',
    );
    expect(errorText({ status: 403, body: { detail: 'You may not pause, resume or poll this flow’s triggers.' } })).toMatch(/may not pause/);
    expect(errorText({ status: 403, body: {} })).toBe('You may not operate this trigger.');
    expect(errorText({ status: 0, message: 'offline', body: {} })).toBe('offline');
  });
});

describe('failing rows', () => {
  it('suggests what to do next', () => {
    expect(failureHint(failing)).toBe('Check the connection’s credentials (a token may have expired), then Poll now.');
    expect(failureHint({ kind: 'poll', last_error: 'Kantata could not be reached.' })).toBe('Check the connection, then Poll now.');
    expect(failureHint({ kind: 'schedule', last_error: 'boom' })).toMatch(/last run, then Poll now/);
    expect([failuresText(1), failuresText(3)]).toEqual(['1 failure', '3 failures in a row']);
  });
});
