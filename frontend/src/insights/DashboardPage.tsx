// /insights/dashboards: throughput, failure rate and latency over time (overall and per flow, or per
// customer for a partner), the backlog (queued, held for the fair share, running, waiting), SLA attainment
// by criticality, and for a partner one row per customer with health and trend. Reads rolled-up buckets
// (observability.dashboards), refreshed every 60 s.
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { insightsApi, type Dashboard, type DashboardRange } from '../api/insights';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { ResourceState } from '../ui/ResourceState';
import { Sparkline, TimeChart } from './Chart';
import { Card, InsightsPage, Tile, useScope } from './InsightsNav';
import { TREND_TEXT, backlogSeries, count, groupLines, latencySeries, ms, percent, throughputSeries } from './model';
import './insights.css';

const RANGES: { key: DashboardRange; label: string }[] = [
  { key: '24h', label: 'Last 24 hours' },
  { key: '7d', label: 'Last 7 days' },
  { key: '30d', label: 'Last 30 days' },
];

function Body({ d }: { d: Dashboard }) {
  const groupWord = d.group_by === 'customer' ? 'customer' : 'flow';
  const t = d.totals;
  const b = d.backlog.now;
  const tput = throughputSeries(d);
  const lat = latencySeries(d);
  const rate = groupLines(d, 'failure_rate');
  const p95 = groupLines(d, 'p95_ms');
  const backlog = backlogSeries(d);
  return (
    <>
      <div className="ins-tiles" data-testid="dashboard-totals">
        <Tile label="Runs" value={count(t.runs)} hint={`${count(t.succeeded)} succeeded`} testid="tile-runs" />
        <Tile label="Failure rate" value={percent(t.failure_rate)} hint={`${count(t.failed)} failed`} tone={(t.failure_rate ?? 0) > 0.05 ? 'bad' : 'ok'} testid="tile-failure-rate" />
        <Tile label="Latency p50" value={ms(t.p50_ms)} hint="trigger to result" testid="tile-p50" />
        <Tile label="Latency p95" value={ms(t.p95_ms)} testid="tile-p95" />
        <Tile label="Backlog" value={count(b.queued + b.held + b.running + b.waiting)} hint={`${b.queued} queued · ${b.held} held · ${b.running} running · ${b.waiting} waiting`} testid="tile-backlog" />
      </div>
      <div className="ins-grid">
        <Card title="Throughput (runs)" testid="chart-throughput">
          <TimeChart times={tput.times} series={tput.series} step={d.step} />
        </Card>
        <Card title="Latency" testid="chart-latency">
          <TimeChart times={lat.times} series={lat.series} step={d.step} format={(v) => ms(v)} />
        </Card>
        <Card title={`Failure rate per ${groupWord} (%)`} testid="chart-failure-rate">
          <TimeChart times={rate.times} series={rate.series} step={d.step} format={(v) => `${v}%`} />
        </Card>
        <Card title={`Latency p95 per ${groupWord}`} testid="chart-p95">
          <TimeChart times={p95.times} series={p95.series} step={d.step} format={(v) => ms(v)} />
        </Card>
        <Card title="Backlog (peak per step)" testid="chart-backlog">
          {backlog.times.length ? (
            <TimeChart times={backlog.times} series={backlog.series} step={d.step} />
          ) : (
            <p className="muted">No samples yet: the rollup samples the backlog every minute.</p>
          )}
        </Card>
        <Card title="SLA attainment by criticality" testid="sla-attainment">
          <table className="table ins-compact">
            <thead>
              <tr><th>Criticality</th><th className="num">Met</th><th className="num">Breached</th><th className="num">Pending</th><th className="num">Attainment</th></tr>
            </thead>
            <tbody>
              {d.sla.map((a) => (
                <tr key={a.criticality} data-testid={`sla-row-${a.criticality}`}>
                  <td className="ins-cap">{a.criticality}</td>
                  <td className="num">{a.met}</td>
                  <td className={`num${a.breached ? ' ins-bad' : ''}`}>{a.breached}</td>
                  <td className="num">{a.pending}</td>
                  <td className="num strong">{percent(a.rate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
      {d.customers.length > 0 && (
        <Card title="Customers" testid="customer-health" wide>
          <table className="table ins-compact">
            <thead>
              <tr><th>Customer</th><th>Health (24 h)</th><th className="num">Runs 24 h</th><th className="num">Failure rate</th><th>Trend</th><th>Runs per day (7 days)</th></tr>
            </thead>
            <tbody>
              {d.customers.map((c) => (
                <tr key={c.organisation.id} data-testid={`customer-health-${c.organisation.id}`}>
                  <td className="strong">{c.organisation.name}</td>
                  <td><span className={`ins-health ins-health-${c.health}`} data-testid={`customer-health-chip-${c.organisation.id}`}>{c.health}</span></td>
                  <td className="num">{count(c.runs_24h)}</td>
                  <td className="num">{percent(c.failure_rate_24h)}</td>
                  <td className={`ins-trend ins-trend-${c.trend}`}>{TREND_TEXT[c.trend]}</td>
                  <td><Sparkline points={c.daily} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Card title={`Per ${groupWord}`} testid="dashboard-groups" wide>
        <table className="table ins-compact">
          <thead>
            <tr><th>{groupWord === 'flow' ? 'Flow' : 'Customer'}</th><th className="num">Runs</th><th className="num">Failed</th><th className="num">Failure rate</th><th className="num">p50</th><th className="num">p95</th><th className="num">Active</th></tr>
          </thead>
          <tbody>
            {d.groups.map((g) => (
              <tr key={g.key} data-testid={`group-row-${g.key}`}>
                <td>{groupWord === 'flow' ? <Link to={`/flows/${g.key}`}>{g.label}</Link> : g.label}</td>
                <td className="num">{count(g.runs)}</td>
                <td className="num">{count(g.failed)}</td>
                <td className="num">{percent(g.failure_rate)}</td>
                <td className="num">{ms(g.p50_ms)}</td>
                <td className="num">{ms(g.p95_ms)}</td>
                <td className="num">{g.active}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}

export function DashboardPage() {
  const { organisation, isPartner } = useScope();
  const [range, setRange] = useState<DashboardRange>('24h');
  const dash = useResource(organisation ? [organisation.id, range] : null, () => insightsApi.dashboard(organisation!.id, range));
  const { refresh } = dash;
  useEffect(() => {
    const timer = window.setInterval(() => void refresh(), 60_000);
    return () => window.clearInterval(timer);
  }, [refresh]);
  return (
    <InsightsPage
      title="Dashboards"
      subtitle={isPartner ? `All customers of ${organisation?.name}` : `Runs of ${organisation?.name}`}
      testid="dashboard-page"
      actions={
        <>
          {dash.data?.rolled_up_at && <span className="muted small">updated {timeAgo(dash.data.rolled_up_at)}</span>}
          <select value={range} onChange={(e) => setRange(e.target.value as DashboardRange)} data-testid="dashboard-range" aria-label="Range">
            {RANGES.map((r) => <option key={r.key} value={r.key}>{r.label}</option>)}
          </select>
          <button onClick={() => void dash.refresh()} data-testid="dashboard-refresh">Refresh</button>
        </>
      }
    >
      <ResourceState resource={dash} what="the dashboard" testid="dashboard" rows={6}>
        {(d) => <Body d={d} />}
      </ResourceState>
    </InsightsPage>
  );
}
