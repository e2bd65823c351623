// /insights/trace: "where is deal X?" Search by any id in any system (an opportunity, a project, a time
// entry, an invoice); see the lifecycle stages reached, where it is stuck, and a timeline of the runs and
// records (observability.trace). The query is kept in the address (?q=) so a link can be shared.
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { insightsApi, type Trace } from '../api/insights';
import { useResource } from '../lib/useResource';
import { clock } from '../lib/format';
import { ResourceState } from '../ui/ResourceState';
import { StatusBadge } from '../ui/bits';
import { Card, InsightsPage, useScope } from './InsightsNav';
import { STAGE_ICONS, money } from './model';
import './insights.css';

const SYSTEMS = ['', 'salesforce', 'kantata', 'certinia', 'netsuite', 'dynamics'];

function Result({ t }: { t: Trace }) {
  if (!t.found) {
    return <p className="callout" data-testid="trace-not-found">Nothing is known of <code>{t.query}</code> yet. Check the id, or its system.</p>;
  }
  return (
    <>
      {t.stuck && (
        <div className={`callout ${t.stuck.run ? 'callout-error' : 'ins-callout-info'}`} data-testid="trace-stuck" role="status">
          <strong>Where it is: </strong>
          {t.stuck.message}
          {t.stuck.run && <> <Link to={`/runs/${t.stuck.run}`}>Open run #{t.stuck.run}</Link></>}
        </div>
      )}
      <ol className="ins-stages" data-testid="trace-stages">
        {t.stages.map((s) => (
          <li key={s.stage} className={s.reached ? 'reached' : t.stuck?.stage === s.stage ? 'stuck' : ''} data-testid={`trace-stage-${s.stage}`} data-reached={s.reached}>
            <span className="ins-stage-icon" aria-hidden>{STAGE_ICONS[s.stage]}</span>
            <span>{s.label}</span>
            {s.records > 0 && <span className="muted small">{s.records}</span>}
          </li>
        ))}
      </ol>
      <div className="ins-grid">
        <Card title="Timeline" testid="trace-timeline">
          <ul className="ins-timeline">
            {t.timeline.map((e, i) => (
              <li key={i} data-testid={`trace-event-${e.kind}-${e.id}`}>
                <span className="ins-when">{clock(e.at)}</span>
                <span className={`ins-dot ins-dot-${e.kind}`} aria-hidden />
                <span className="grow">
                  {e.kind === 'run' ? <Link to={`/runs/${e.id}`}>{e.title}</Link> : e.title}
                  <span className="muted small"> · {e.system}</span>
                </span>
                {e.status && <StatusBadge status={e.status} />}
              </li>
            ))}
          </ul>
        </Card>
        <Card title="Records across systems" testid="trace-records">
          <table className="table ins-compact">
            <thead><tr><th>System</th><th>Record</th><th>Id</th><th>Status</th><th className="num">Amount</th></tr></thead>
            <tbody>
              {t.records.map((r) => (
                <tr key={`${r.system}:${r.id}`} data-testid={`trace-record-${r.system}-${r.id}`}>
                  <td className="ins-cap">{r.system}</td>
                  <td>{r.entity.replace('_', ' ')}{r.name ? `: ${r.name}` : ''}</td>
                  <td><code>{r.id}</code></td>
                  <td>{r.status}</td>
                  <td className="num">{money(r.amount)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
      <Card title="Runs" testid="trace-runs" wide>
        <table className="table ins-compact">
          <thead><tr><th>Run</th><th>Flow</th><th>Status</th><th>Started</th><th>Problem</th></tr></thead>
          <tbody>
            {t.runs.map((r) => (
              <tr key={r.id} data-testid={`trace-run-${r.id}`}>
                <td><Link to={`/runs/${r.id}`}>#{r.id}</Link></td>
                <td>{r.flow_name}</td>
                <td><StatusBadge status={r.status} /></td>
                <td>{clock(r.created_at)}</td>
                <td className="ins-problem">{r.error ? `${r.node ? `${r.node}: ` : ''}${r.error}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}

export function TracePage() {
  const { organisation } = useScope();
  const [params, setParams] = useSearchParams();
  const query = params.get('q') ?? '';
  const system = params.get('system') ?? '';
  const [text, setText] = useState(query);
  const [sys, setSys] = useState(system);
  const result = useResource(query && organisation ? [organisation.id, query, system] : null, () =>
    insightsApi.trace(query, organisation!.id, system || undefined),
  );
  return (
    <InsightsPage title="Trace" subtitle="Where is a deal? Search by any id in any system." testid="trace-page">
      <form
        className="ins-search"
        onSubmit={(e) => {
          e.preventDefault();
          const next = new URLSearchParams();
          if (text.trim()) next.set('q', text.trim());
          if (sys) next.set('system', sys);
          setParams(next);
        }}
      >
        <input
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="Opportunity, project, time entry or invoice id"
          maxLength={255}
          data-testid="trace-query"
          aria-label="Id to trace"
        />
        <select value={sys} onChange={(e) => setSys(e.target.value)} data-testid="trace-system" aria-label="System">
          {SYSTEMS.map((s) => <option key={s} value={s}>{s || 'Any system'}</option>)}
        </select>
        <button className="primary" type="submit" data-testid="trace-search" disabled={!text.trim()}>Trace</button>
      </form>
      {query ? (
        <ResourceState resource={result} what="the trace" testid="trace" rows={5}>
          {(t) => <Result t={t} />}
        </ResourceState>
      ) : (
        <p className="muted">Paste an id from Salesforce, Kantata, NetSuite or Business Central: the deal's runs and records appear here.</p>
      )}
    </InsightsPage>
  );
}
