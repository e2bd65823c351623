import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { flowsApi } from '../api/flows';
import { runsApi } from '../api/runs';
import { versionNumber, type RunStatus, type Schemas } from '../api/types';
import { useSession } from '../session';
import { StatusBadge } from '../ui/bits';
import { ResourceState } from '../ui/ResourceState';
import { useResource } from '../lib/useResource';
import { EnvironmentTag, useOrgEnvironments } from '../environments/EnvironmentBadge';
import { ENV_KEYS, environmentLabel, type EnvKey } from '../environments/model';
import { clock, duration, timeAgo } from '../lib/format';

const STATUSES: RunStatus[] = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];
const ORIGINS: { value: Schemas['OriginEnum']; label: string }[] = [
  { value: 'webhook', label: 'Webhook' },
  { value: 'schedule', label: 'Schedule' },
  { value: 'manual', label: 'Manual' },
  { value: 'api', label: 'API' },
  { value: 'replay', label: 'Replay' },
  { value: 'subflow', label: 'Sub-flow' },
  { value: 'error_flow', label: 'Error flow' },
];

/** `datetime-local` (the browser's zone) -> ISO 8601 with offset for the API; '' stays unset. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

/** The environment a run's version was made for ('' without environments). */
function versionEnvironment(v: unknown): string {
  return v && typeof v === 'object' && 'environment' in v ? String((v as { environment?: string }).environment ?? '') : '';
}

export function RunsPage() {
  const { organisation } = useSession();
  const envs = useOrgEnvironments();
  // The column shows with environments on, or while runs made in one are listed.
  const showEnv = (runs: { version: unknown }[]) => envs.enabled || runs.some((r) => versionEnvironment(r.version) !== '');
  const [params, setParams] = useSearchParams();
  const flow = params.get('flow') ?? '';
  const status = params.get('status') ?? '';
  const origin = params.get('origin') ?? '';
  const environment = params.get('environment') ?? '';
  const after = params.get('after') ?? '';
  const before = params.get('before') ?? '';
  const key = params.get('key') ?? '';
  const [keyDraft, setKeyDraft] = useState(key);
  const filtered = !!(flow || status || origin || environment || after || before || key);
  const [offset, setOffset] = useState(0);
  const limit = 50;
  const orgId = organisation?.id;
  // The flow filter's choices: without them the page still lists runs.
  const flowChoices = useResource(orgId ? [orgId] : null, async () => (await flowsApi.list({ organisation: orgId!, limit: 200 })).results);
  const flows = flowChoices.data ?? [];
  const page = useResource(orgId ? [orgId, flow, status, origin, environment, after, before, key, offset] : null, () =>
    runsApi.list({
      organisation: orgId!,
      flow,
      status,
      origin: (origin || undefined) as Schemas['OriginEnum'] | undefined,
      environment: (environment || undefined) as EnvKey | undefined,
      created_after: toIso(after),
      created_before: toIso(before),
      business_key: key || undefined,
      limit,
      offset,
    }),
  );
  const count = page.data?.count ?? 0;

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
      <div className="filters" style={{ flexWrap: 'wrap' }}>
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
        <select value={origin} onChange={(e) => set('origin', e.target.value)} aria-label="Trigger" data-testid="runs-origin-filter">
          <option value="">All triggers</option>
          {ORIGINS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
        {envs.enabled && (
          <select value={environment} onChange={(e) => set('environment', e.target.value)} aria-label="Environment" data-testid="runs-environment-filter">
            <option value="">All environments</option>
            {ENV_KEYS.map((k) => (
              <option key={k} value={k}>
                {environmentLabel(k, envs.names)}
              </option>
            ))}
          </select>
        )}
        <label className="small muted">
          From <input type="datetime-local" value={after} onChange={(e) => set('after', e.target.value)} aria-label="Created from" data-testid="runs-after" />
        </label>
        <label className="small muted">
          to <input type="datetime-local" value={before} onChange={(e) => set('before', e.target.value)} aria-label="Created before" data-testid="runs-before" />
        </label>
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            set('key', keyDraft.trim());
          }}
        >
          <input
            type="search"
            value={keyDraft}
            onChange={(e) => {
              setKeyDraft(e.target.value);
              if (!e.target.value) set('key', '');
            }}
            placeholder="Business key, e.g. 006Ax01 or Opportunity.Id=006Ax01"
            aria-label="Business key"
            title="A value in the run's input (an opportunity id, an invoice number), or path=value. Press Enter."
            data-testid="runs-key-filter"
          />
        </form>
        {page.data && <span className="muted">{count} run{count === 1 ? '' : 's'}</span>}
      </div>
      <ResourceState
        resource={page}
        what="runs"
        testid="runs"
        rows={8}
        isEmpty={(p) => p.results.length === 0}
        empty={{
          title: filtered ? 'No runs match' : 'No runs yet',
          body: filtered ? 'Clear the filters to see every run.' : 'Open a flow and press Run to see it here, live.',
          action: filtered ? <button onClick={() => { setKeyDraft(''); setParams(new URLSearchParams()); }}>Clear filters</button> : <Link to="/" className="button primary">Go to flows</Link>,
        }}
      >
        {({ results: runs }) => (
            <>
              <table className="table" data-testid="runs-table">
                <thead>
                  <tr>
                    <th>Run</th>
                    <th>Flow</th>
                    <th>Status</th>
                    {showEnv(runs) && <th>Environment</th>}
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
                      {showEnv(runs) && (
                        <td>
                          <EnvironmentTag environment={versionEnvironment(r.version)} names={envs.names} />
                        </td>
                      )}
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
      </ResourceState>
    </div>
  );
}
