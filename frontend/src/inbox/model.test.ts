import { describe, expect, it } from 'vitest';
import { batchSummary, percent, toggle, toggleAll } from './model';

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
