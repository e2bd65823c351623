import { describe, expect, it } from 'vitest';
import type { Dashboard } from '../api/insights';
import { count, groupLines, kpiNumber, money, ms, percent, slaTarget, throughputSeries } from './model';

const dash = {
  series: [
    { t: '2026-03-16T10:00:00Z', runs: 5, succeeded: 4, failed: 1, cancelled: 0, active: 0, failure_rate: 0.2, p50_ms: 900, p95_ms: 4000 },
    { t: '2026-03-16T11:00:00Z', runs: 0, succeeded: 0, failed: 0, cancelled: 0, active: 0, failure_rate: null, p50_ms: null, p95_ms: null },
  ],
  lines: [
    { key: 1, label: 'Orders', points: [
      { t: '2026-03-16T10:00:00Z', runs: 5, failed: 1, failure_rate: 0.2, p50_ms: 900, p95_ms: 4000 },
      { t: '2026-03-16T11:00:00Z', runs: 0, failed: 0, failure_rate: null, p50_ms: null, p95_ms: null },
    ] },
  ],
} as unknown as Dashboard;

describe('insight formatting', () => {
  it('formats rates, durations, counts and money', () => {
    expect(percent(null)).toBe('–');
    expect(percent(0.0534)).toBe('5.3%');
    expect(percent(0.5)).toBe('50%');
    expect(ms(450)).toBe('450 ms');
    expect(ms(4200)).toBe('4.2 s');
    expect(ms(90_000)).toBe('1.5 min');
    expect(count(123_456)).toBe('123k');
    expect(money('1200.5')).toBe('1,200.50');
    expect(kpiNumber(2.5, 'approved_not_invoiced')).toBe('2.5 h');
    expect(slaTarget(1, 'business_days')).toBe('within 1 business day');
    expect(slaTarget(4, 'business_hours')).toBe('within 4 business hours');
  });

  it('reshapes a dashboard for the charts', () => {
    const t = throughputSeries(dash);
    expect(t.times).toEqual([1773655200, 1773658800]);
    expect(t.series.map((s) => s.values)).toEqual([[4, 0], [1, 0]]);
    const rate = groupLines(dash, 'failure_rate');
    expect(rate.series[0].values).toEqual([20, null]);
    expect(groupLines(dash, 'p95_ms').series[0].values).toEqual([4000, null]);
  });
});
