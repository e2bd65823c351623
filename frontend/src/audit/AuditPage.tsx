// /audit: the audit trail for people. Filters (who, what, which object, organisation, when), each row's
// before/after as a field diff, CSV/JSON export of what the filters select (streamed by the server), and
// "Verify chain", which names the first row that breaks the hash chain. Admins read their organisations'
// rows; a partner's admins also their customers'.
import { useMemo, useState } from 'react';
import { errorMessage } from '../api/client';
import { auditApi, type AuditEvent, type AuditFilters, type ChainReport } from '../api/audit';
import { useSession } from '../session';
import { useResource } from '../lib/useResource';
import { ResourceState } from '../ui/ResourceState';
import { Spinner } from '../ui/bits';
import { changes } from './model';
import './audit.css';

const ACTION_GROUPS = ['flow', 'run', 'connection', 'membership', 'user', 'auth', 'template', 'organisation', 'sso', 'audit'];

function ChangeTable({ e }: { e: AuditEvent }) {
  const rows = changes(e.before, e.after);
  if (!rows.length) return <span className="muted small">no fields</span>;
  return (
    <table className="diff-fields au-diff" data-testid={`audit-diff-${e.id}`}>
      <tbody>
        {rows.map((r) => (
          <tr key={r.field} className={`au-${r.kind}`}>
            <th scope="row"><code>{r.field}</code></th>
            <td className="diff-old">{r.old}</td>
            <td aria-hidden>→</td>
            <td className="diff-new">{r.new}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditPage() {
  const { me, organisation } = useSession();
  const [draft, setDraft] = useState<AuditFilters>({ organisation: organisation?.id });
  const [filters, setFilters] = useState<AuditFilters>({ organisation: organisation?.id });
  const [report, setReport] = useState<ChainReport | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [problem, setProblem] = useState('');
  const key = useMemo(() => [JSON.stringify(filters)], [filters]);
  const resource = useResource(key, () => auditApi.list(filters));
  const admin = me.organisations.filter((o) => o.role === 'admin');

  async function verify() {
    setVerifying(true);
    setProblem('');
    try {
      setReport(await auditApi.verify());
    } catch (e) {
      setProblem(errorMessage(e));
    } finally {
      setVerifying(false);
    }
  }
  const set = (k: keyof AuditFilters, v: string) =>
    setDraft((d) => ({ ...d, [k]: k === 'organisation' ? (v ? Number(v) : undefined) : v || undefined }));
  const since = (v: string) => (v ? new Date(v).toISOString() : '');

  return (
    <main className="page au-page" data-testid="audit-page">
      <div className="page-head">
        <h1>Audit trail</h1>
        <div className="au-tools">
          <a className="button" href={auditApi.exportUrl(filters, 'csv')} download data-testid="audit-export-csv">Export CSV</a>
          <a className="button" href={auditApi.exportUrl(filters, 'json')} download data-testid="audit-export-json">Export JSON</a>
          <button className="primary" onClick={() => void verify()} disabled={verifying} data-testid="audit-verify">
            {verifying ? <Spinner label="Verifying…" /> : 'Verify chain'}
          </button>
        </div>
      </div>
      {report && (
        <p className={report.ok ? 'au-ok' : 'au-broken'} role="status" data-testid="audit-verify-result">
          {report.ok
            ? `Chain intact: ${report.checked} rows checked, anchors and head match.`
            : `Chain broken at row #${report.broken_at}: ${report.reason} (${report.checked} ${report.checked === 1 ? 'row' : 'rows'} before it intact).`}
        </p>
      )}
      {problem && <p className="apv-problem" role="alert">{problem}</p>}
      <form
        className="au-filters"
        onSubmit={(ev) => {
          ev.preventDefault();
          setFilters(draft);
        }}
        data-testid="audit-filters"
      >
        <label>
          Organisation
          <select value={draft.organisation ?? ''} onChange={(e) => set('organisation', e.target.value)} data-testid="audit-filter-organisation">
            <option value="">All I administer</option>
            {admin.map((o) => <option key={o.id} value={o.id}>{o.name}</option>)}
          </select>
        </label>
        <label>
          Who
          <input value={draft.actor ?? ''} onChange={(e) => set('actor', e.target.value)} placeholder="user name" data-testid="audit-filter-actor" />
        </label>
        <label>
          Action
          <input list="audit-actions" value={draft.action ?? ''} onChange={(e) => set('action', e.target.value)} placeholder="e.g. flow.publish" data-testid="audit-filter-action" />
          <datalist id="audit-actions">
            {ACTION_GROUPS.map((g) => <option key={g} value={`${g}.`} />)}
          </datalist>
        </label>
        <label>
          Object
          <input value={draft.object_type ?? ''} onChange={(e) => set('object_type', e.target.value)} placeholder="flows.flow" data-testid="audit-filter-object-type" />
        </label>
        <label>
          Id
          <input className="au-narrow" value={draft.object_id ?? ''} onChange={(e) => set('object_id', e.target.value)} data-testid="audit-filter-object-id" />
        </label>
        <label>
          From
          <input type="datetime-local" onChange={(e) => set('since', since(e.target.value))} data-testid="audit-filter-since" />
        </label>
        <label>
          To
          <input type="datetime-local" onChange={(e) => set('until', since(e.target.value))} data-testid="audit-filter-until" />
        </label>
        <button type="submit" data-testid="audit-apply">Apply</button>
      </form>
      <ResourceState resource={resource} what="the audit trail" testid="audit" isEmpty={(d) => d.results.length === 0} empty={{ title: 'No audit rows match', testid: 'audit-empty' }}>
        {(data) => (
          <>
            <p className="muted small" data-testid="audit-count">{data.count} {data.count === 1 ? "row" : "rows"}{data.count > data.results.length ? `, newest ${data.results.length} shown (export for all)` : ''}</p>
            <table className="au-table" data-testid="audit-table">
              <thead>
                <tr><th>#</th><th>When (UTC)</th><th>Who</th><th>Organisation</th><th>Action</th><th>Object</th><th>Change</th></tr>
              </thead>
              <tbody>
                {data.results.map((e) => (
                  <tr key={e.id} data-testid={`audit-row-${e.id}`} className={report && !report.ok && report.broken_at === e.id ? 'au-break' : undefined}>
                    <td className="num">{e.id}</td>
                    <td className="au-when">{e.at.replace('T', ' ').slice(0, 19)}</td>
                    <td>{e.actor}</td>
                    <td>{e.organisation_name ?? '—'}</td>
                    <td title={e.action}>{e.action_label}</td>
                    <td><code>{e.object_type}{e.object_id ? ` #${e.object_id}` : ''}</code></td>
                    <td><ChangeTable e={e} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </ResourceState>
    </main>
  );
}
