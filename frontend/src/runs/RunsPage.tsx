import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { versionNumber, type FlowSummary, type RunSummary } from '../api/types';
import { useSession } from '../session';
import { EmptyState, Skeleton, StatusBadge } from '../ui/bits';
import { useToast } from '../ui/toast';
import { clock, duration, timeAgo } from '../lib/format';

const STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

export function RunsPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const flow = params.get('flow') ?? '';
  const status = params.get('status') ?? '';
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [count, setCount] = useState(0);
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const orgId = organisation?.id;

  useEffect(() => {
    if (!orgId) return;
    api.listFlows({ organisation: orgId, limit: 200 }).then((p) => setFlows(p.results), () => setFlows([]));
  }, [orgId]);

  useEffect(() => {
    if (!orgId) return;
    let alive = true;
    setRuns(null);
    api.listRuns({ organisation: orgId, flow: flow || undefined, status: status || undefined, limit, offset }).then(
      (p) => {
        if (!alive) return;
        setRuns(p.results);
        setCount(p.count);
      },
      (e: Error) => {
        if (!alive) return;
        setRuns([]);
        toast.error('Could not load runs', `${e.message} — refresh to try again.`);
      },
    );
    return () => {
      alive = false;
    };
  }, [orgId, flow, status, offset, toast]);

  const set = (k: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next);
    setOffset(0);
  };

  return (
    <div className="page" data-testid="runs-page">
      <div className="page-head">
        <div>
          <h1>Run history</h1>
          <p className="muted">{organisation?.name}</p>
        </div>
      </div>
      <div className="filters">
        <select value={flow} onChange={(e) => set('flow', e.target.value)} aria-label="Flow" data-testid="runs-flow-filter">
          <option value="">All flows</option>
          {flows.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
        <select value={status} onChange={(e) => set('status', e.target.value)} aria-label="Status" data-testid="runs-status-filter">
          <option value="">All statuses</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {runs && <span className="muted">{count} run{count === 1 ? '' : 's'}</span>}
      </div>
      {!runs ? (
        <Skeleton rows={8} testid="runs-loading" />
      ) : runs.length === 0 ? (
        <EmptyState
          title={flow || status ? 'No runs match' : 'No runs yet'}
          body={flow || status ? 'Clear the filters to see every run.' : 'Open a flow and press Run to see it here, live.'}
          action={flow || status ? <button onClick={() => setParams(new URLSearchParams())}>Clear filters</button> : <Link to="/" className="button primary">Go to flows</Link>}
        />
      ) : (
        <>
          <table className="table" data-testid="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Flow</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id} data-testid={`run-row-${r.id}`}>
                  <td>
                    <Link to={`/runs/${r.id}`} className="strong">
                      #{r.id}
                    </Link>
                  </td>
                  <td>
                    <Link to={`/flows/${r.flow}`}>{r.flow_name}</Link>
                    {versionNumber(r.version) !== null && <span className="muted small"> v{versionNumber(r.version)}</span>}
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="muted">{r.origin}</td>
                  <td title={clock(r.started_at ?? r.created_at)}>{timeAgo(r.started_at ?? r.created_at)}</td>
                  <td>{duration(r.duration_ms)}</td>
                  <td className="error-text small clip">{r.error?.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {count > limit && (
            <div className="row gap-s pager">
              <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
                Previous
              </button>
              <span className="muted small">
                {offset + 1}–{Math.min(count, offset + limit)} of {count}
              </span>
              <button disabled={offset + limit >= count} onClick={() => setOffset(offset + limit)}>
                Next
              </button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
