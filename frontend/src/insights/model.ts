// Pure helpers of the insight pages (dashboards, SLAs, KPIs, reconciliation, trace): formatting and
// reshaping API answers for charts and tables. No React, no HTTP: tested in model.test.ts.
import type { Dashboard } from '../api/insights';

export const PALETTE = ['#3558d4', '#0f9f8f', '#c28a1b', '#8e44ad', '#d64545', '#2c7a7b'];

export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '–';
  const p = rate * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)} s`;
  if (value < 3_600_000) return `${(value / 60_000).toFixed(value < 600_000 ? 1 : 0)} min`;
  return `${(value / 3_600_000).toFixed(1)} h`;
}

export function count(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(value >= 100_000 ? 0 : 1)}k` : String(value);
}

export const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** The throughput chart: succeeded and failed runs per step. */
export function throughputSeries(d: Dashboard) {
  return {
    times: d.series.map((p) => seconds(p.t)),
    series: [
      { label: 'Succeeded', values: d.series.map((p) => p.succeeded), color: '#5b8def', bars: true },
      { label: 'Failed', values: d.series.map((p) => p.failed), color: '#d64545', bars: true },
    ],
  };
}

/** One line per top flow (or customer): ``pick`` of each point (failure rate as %, p95 in ms). */
export function groupLines(d: Dashboard, pick: 'failure_rate' | 'p95_ms' | 'runs') {
  return {
    times: d.series.map((p) => seconds(p.t)),
    series: d.lines.map((line, i) => ({
      label: line.label,
      color: PALETTE[i % PALETTE.length],
      values: line.points.map((p) => {
        const v = p[pick];
        if (v === null || v === undefined) return null;
        return pick === 'failure_rate' ? Math.round(v * 1000) / 10 : v;
      }),
    })),
  };
}

export function latencySeries(d: Dashboard) {
  return {
    times: d.series.map((p) => seconds(p.t)),
    series: [
      { label: 'p50', values: d.series.map((p) => p.p50_ms), color: '#0f9f8f' },
      { label: 'p95', values: d.series.map((p) => p.p95_ms), color: '#c28a1b' },
    ],
  };
}

export function backlogSeries(d: Dashboard) {
  const pts = d.backlog.series;
  return {
    times: pts.map((p) => seconds(p.t)),
    series: [
      { label: 'Queued', values: pts.map((p) => p.queued), color: '#3558d4' },
      { label: 'Held (fair share)', values: pts.map((p) => p.held), color: '#c28a1b' },
      { label: 'Running', values: pts.map((p) => p.running), color: '#0f9f8f' },
      { label: 'Waiting', values: pts.map((p) => p.waiting), color: '#8e44ad' },
    ],
  };
}

export const TREND_TEXT: Record<string, string> = { better: '▼ better', worse: '▲ worse', steady: '— steady' };

export const SUBJECTS: Record<string, string> = {
  flow_run: 'A run of the flow succeeds',
  won_to_project: 'Won deal has a project',
  approved_to_invoiced: 'Approved billable time is invoiced',
  paid_to_crm: "A paid invoice's status reaches the CRM",
};

export const UNITS: Record<string, string> = {
  business_hours: 'business hours',
  business_days: 'business days',
  hours: 'hours',
};

export function slaTarget(target: number, unit: string): string {
  const u = UNITS[unit] ?? unit;
  return `within ${target} ${target === 1 ? u.replace(/s$/, '') : u}`;
}

export const KPI_KINDS: Record<string, { label: string; unit: string; param?: { name: string; label: string } }> = {
  won_without_project: { label: 'Closed-won deals with no project', unit: 'deals', param: { name: 'hours', label: 'After (hours)' } },
  approved_not_invoiced: { label: 'Approved billable time not invoiced', unit: 'hours', param: { name: 'days', label: 'After (days)' } },
  paid_not_in_crm: { label: 'Paid invoices whose status never reached the CRM', unit: 'invoices', param: { name: 'crm_field', label: 'CRM field' } },
  customers_without_erp: { label: 'CRM customers with no ERP link', unit: 'customers' },
};

export function kpiNumber(value: number, kind: string): string {
  return kind === 'approved_not_invoiced' ? `${value.toFixed(1)} h` : String(Math.round(value));
}

export function money(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const n = typeof value === 'string' ? Number(value) : value;
  return n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export const DIFF_KINDS: Record<string, string> = {
  hours: 'Hours differ',
  amount: 'Amounts differ',
  missing_right: 'Missing in the ERP',
  missing_left: 'Only in the ERP',
  not_linked: 'No ERP project linked',
  gone_right: 'Linked ERP project is gone',
};

export const STAGE_ICONS: Record<string, string> = {
  opportunity: '◆',
  customer: '●',
  project: '■',
  time_entry: '◷',
  invoice: '▤',
  payment: '✓',
};

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
