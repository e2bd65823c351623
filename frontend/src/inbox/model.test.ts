import { describe, expect, it } from 'vitest';
import { ACTION_LABELS, batchSummary, percent, recurrence, revalidateTargets, shortValue, toggle, toggleAll, verdictCounts } from './model';

describe('inbox selection', () => {
  it('toggles one and all', () => {
    const one = toggle(new Set(), 3);
    expect([...one]).toEqual([3]);
    expect([...toggle(one, 3)]).toEqual([]);
    const all = toggleAll(one, [3, 4, 5]);
    expect([...all].sort()).toEqual([3, 4, 5]);
    expect([...toggleAll(all, [3, 4, 5])]).toEqual([]);
  });
});

describe('batch progress', () => {
  it('says how far a batch is and what it did', () => {
    expect(percent({ done: 50, total: 200 })).toBe(25);
    expect(percent({ done: 0, total: 0 })).toBe(100);
    const running = { done: 50, total: 200, succeeded: 50, new_runs: 10, errors: [], status: 'running' as const };
    expect(batchSummary(running)).toBe('50 of 200 handled');
    expect(batchSummary({ ...running, done: 200, succeeded: 199, status: 'done', errors: [{ run: 1 }] })).toBe(
      '200 of 200 handled: 199 done, 10 new runs, 1 refused',
    );
  });
});

describe('revalidation', () => {
  const results = [{ verdict: 'pass' as const }, { verdict: 'fail' as const }, { verdict: 'pass' as const }];
  it('counts verdicts and says them once the batch is done', () => {
    expect(verdictCounts(results)).toEqual({ pass: 2, fail: 1, unknown: 0 });
    const base = { done: 1, total: 3, succeeded: 1, new_runs: 0, errors: [], status: 'running' as const, action: 'revalidate' as const };
    expect(batchSummary({ ...base, results: [] })).toBe('1 of 3 checked');
    expect(batchSummary({ ...base, done: 3, status: 'done', results: [...results, { verdict: 'unknown' as const }] as never })).toBe(
      '3 of 3 checked: 2 would pass, 1 still fail, 1 cannot tell',
    );
  });
  it('labels every batch action and shortens diff values', () => {
    expect(ACTION_LABELS.revalidate).toBe('Revalidate');
    expect(ACTION_LABELS.replay_draft).toBe('Replay passing on the draft');
    expect(ACTION_LABELS.retry).toBe('Retry from failed node');
    expect(shortValue('12,50')).toBe('"12,50"');
    expect(shortValue(12.5)).toBe('12.5');
    expect(shortValue(null)).toBe('—');
    expect(shortValue('x'.repeat(100), 10)).toBe(`"${'x'.repeat(8)}…`);
  });
});

describe('recurring exceptions and revalidation targets', () => {
  it('says how often an exception was seen, only when more than once', () => {
    const ago = (iso: string) => `at ${iso}`;
    expect(recurrence({ occurrences: 1, last_seen_at: '2026-01-01' }, ago)).toBe('');
    expect(recurrence({ occurrences: 3, last_seen_at: '2026-01-01' }, ago)).toBe('seen 3 times, last at 2026-01-01');
    expect(recurrence({ occurrences: 2, last_seen_at: null }, ago)).toBe('seen 2 times');
  });
  it('offers only the published version where publishing needs approval', () => {
    expect(revalidateTargets(true)).toEqual(['published']);
    expect(revalidateTargets(false)).toEqual(['draft', 'published']);
  });
});
