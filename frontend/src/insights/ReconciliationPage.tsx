// /insights/reconciliation: policies that compare systems per period (PSA approved billable time vs ERP
// invoiced lines; CRM bookings vs ERP projects) with tolerances, the history of reports, and a report's
// differences per record with "Create fix job" (replays the right flow for the differing records).
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { errorMessage, rows } from '../api/client';
import { flowsApi } from '../api/flows';
import { insightsApi, type ReconciliationPolicy, type ReconciliationReportDetail } from '../api/insights';
import { useResource } from '../lib/useResource';
import { clock, timeAgo } from '../lib/format';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { StatusBadge } from '../ui/bits';
import { useToast } from '../ui/toast';
import { Card, InsightsPage, OrgSelect, useScope, useTargets } from './InsightsNav';
import { DIFF_KINDS, money } from './model';
import './insights.css';

const KINDS: Record<string, string> = {
  psa_vs_erp_billing: 'PSA approved billable time vs ERP invoiced lines',
  crm_vs_erp_projects: 'CRM bookings vs ERP projects',
};

function values(v: Record<string, unknown>): string {
  return Object.entries(v)
    .filter(([k]) => k !== 'counterpart')
    .map(([k, x]) => `${k} ${k === 'amount' ? money(x as string) : String(x)}`)
    .join(' · ');
}

function NewPolicyDialog({ onClose, onSaved }: { onClose: () => void; onSaved: (p: ReconciliationPolicy) => void }) {
  const { targets } = useTargets();
  const { organisation } = useScope();
  const [org, setOrg] = useState(organisation!.id);
  const target = targets.find((t) => t.id === org) ? org : (targets[0]?.id ?? org);
  const flows = useResource([target], () => flowsApi.list({ organisation: target, limit: 200 }));
  const [form, setForm] = useState({ name: '', kind: 'psa_vs_erp_billing', period: 'month', hours: '0.5', amount: '50', fix: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      onSaved(
        await insightsApi.createReconciliation({
          organisation: target,
          name: form.name.trim() || KINDS[form.kind],
          kind: form.kind as ReconciliationPolicy['kind'],
          period: form.period as ReconciliationPolicy['period'],
          tolerance_hours: Number(form.hours || 0),
          tolerance_amount: Number(form.amount || 0),
          fix_flow: form.fix ? Number(form.fix) : null,
        }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <FormDialog title="New reconciliation" onClose={onClose} onSubmit={submit} submitLabel="Create" busy={busy} error={error} testid="recon-dialog" submitTestid="recon-submit">
      <OrgSelect value={target} onChange={setOrg} targets={targets} testid="recon-org" />
      <label className="field"><span>Compare</span>
        <select value={form.kind} onChange={set('kind')} data-testid="recon-kind">
          {Object.entries(KINDS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
      </label>
      <label className="field"><span>Name</span><input value={form.name} onChange={set('name')} placeholder={KINDS[form.kind]} data-testid="recon-name" /></label>
      <div className="ins-row">
        <label className="field"><span>Period</span>
          <select value={form.period} onChange={set('period')} data-testid="recon-period"><option value="month">Monthly</option><option value="week">Weekly</option></select>
        </label>
        <label className="field"><span>Hours tolerance</span><input type="number" min="0" step="0.25" value={form.hours} onChange={set('hours')} /></label>
        <label className="field"><span>Amount tolerance</span><input type="number" min="0" step="1" value={form.amount} onChange={set('amount')} /></label>
      </div>
      <label className="field"><span>Fix flow (replayed per differing record)</span>
        <select value={form.fix} onChange={set('fix')} data-testid="recon-fix-flow">
          <option value="">The flow that last handled the record</option>
          {rows(flows.data ?? []).map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
        </select>
      </label>
    </FormDialog>
  );
}

function RunDialog({ policy, onClose, onQueued }: { policy: ReconciliationPolicy; onClose: () => void; onQueued: () => void }) {
  const [day, setDay] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      await insightsApi.runReconciliation(policy.id, day || undefined);
      onQueued();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <FormDialog title={`Run "${policy.name}"`} onClose={onClose} onSubmit={submit} submitLabel="Run report" busy={busy} error={error} testid="recon-run-dialog" submitTestid="recon-run-submit">
      <label className="field"><span>A day in the period (empty: the last closed {policy.period})</span>
        <input type="date" value={day} onChange={(e) => setDay(e.target.value)} data-testid="recon-run-day" />
      </label>
      <p className="muted small">The systems are read in the background; the report appears in the history when it is done.</p>
    </FormDialog>
  );
}

function ReportView({ id, onFixed }: { id: number; onFixed: () => void }) {
  const toast = useToast();
  const report = useResource([id], () => insightsApi.report(id));
  const [chosen, setChosen] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  async function fix(r: ReconciliationReportDetail) {
    setBusy(true);
    try {
      const done = await insightsApi.fix(r.id, chosen.length ? chosen : undefined);
      toast.success(`Fix job started: ${done.runs.length} run${done.runs.length === 1 ? '' : 's'}`);
      setChosen([]);
      void report.refresh();
      onFixed();
    } catch (e) {
      toast.error('Could not create the fix job', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <ResourceState resource={report} what="the report" testid="recon-report" rows={4}>
      {(r) => (
        <Card title={`${r.policy_name}: ${r.period_start} to ${r.period_end}`} testid={`recon-report-${r.id}`} wide>
          {r.status !== 'done' ? (
            <p className="muted">Report {r.status}{r.error ? `: ${r.error}` : '…'}</p>
          ) : (
            <>
              <p className="small" data-testid="recon-totals">
                <strong>{r.totals.left_label}</strong>: {values(r.totals.left)} · <strong>{r.totals.right_label}</strong>: {values(r.totals.right)} · {r.matched} matched · {r.difference_count} differ
              </p>
              {r.differences.length > 0 && (
                <>
                  <table className="table ins-compact" data-testid="recon-differences">
                    <thead><tr><th /><th>Record</th><th>Difference</th><th>{r.totals.left_label}</th><th>{r.totals.right_label}</th><th>Delta</th><th>Fix run</th></tr></thead>
                    <tbody>
                      {r.differences.map((d) => (
                        <tr key={d.id} data-testid={`recon-diff-${d.key}`}>
                          <td><input type="checkbox" disabled={!!d.fix_run} checked={chosen.includes(d.id)} onChange={(e) => setChosen((c) => (e.target.checked ? [...c, d.id] : c.filter((x) => x !== d.id)))} aria-label={`Choose ${d.label}`} /></td>
                          <td><Link to={`/insights/trace?q=${encodeURIComponent(d.key)}`}>{d.label}</Link> <code className="muted small">{d.key}</code></td>
                          <td>{DIFF_KINDS[d.kind] ?? d.kind}</td>
                          <td>{values(d.left)}</td>
                          <td>{values(d.right)}</td>
                          <td>{values(d.delta)}</td>
                          <td>{d.fix_run ? <Link to={`/runs/${d.fix_run}`}>#{d.fix_run} <StatusBadge status={d.fix_run_status} /></Link> : ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <button className="primary ins-fix" disabled={busy || r.differences.every((d) => d.fix_run)} onClick={() => void fix(r)} data-testid="recon-fix">
                    {chosen.length ? `Create fix job for ${chosen.length}` : 'Create fix job for all differences'}
                  </button>
                </>
              )}
            </>
          )}
        </Card>
      )}
    </ResourceState>
  );
}

export function ReconciliationPage() {
  const { organisation, listScope, isPartner } = useScope();
  const { names } = useTargets();
  const toast = useToast();
  const [params, setParams] = useSearchParams();
  const open = params.get('report');
  const policies = useResource(organisation ? [organisation.id] : null, () => insightsApi.reconciliationPolicies(listScope));
  const reports = useResource(organisation ? [organisation.id] : null, () => insightsApi.reports(listScope));
  const [creating, setCreating] = useState(false);
  const [running, setRunning] = useState<ReconciliationPolicy | null>(null);
  return (
    <InsightsPage
      title="Reconciliation"
      subtitle="Do the systems agree, record by record, per period?"
      testid="reconciliation-page"
      actions={<button className="primary" onClick={() => setCreating(true)} data-testid="recon-new">New reconciliation</button>}
    >
      <ResourceState resource={policies} what="reconciliations" testid="recon-list" isEmpty={(d) => d.results.length === 0}
        empty={{ title: 'No reconciliations yet', body: 'Compare PSA approved time with ERP invoices, or CRM bookings with ERP projects.', testid: 'recon-empty' }}>
        {(d) => (
          <table className="table" data-testid="recon-policies">
            <thead><tr>{isPartner && <th>Customer</th>}<th>Reconciliation</th><th>Period</th><th>Tolerance</th><th>Fix flow</th><th>Last report</th><th /></tr></thead>
            <tbody>
              {d.results.map((p) => (
                <tr key={p.id} data-testid={`recon-policy-${p.id}`}>
                  {isPartner && <td>{names.get(p.organisation) ?? p.organisation}</td>}
                  <td><span className="strong">{p.name}</span><div className="muted small">{KINDS[p.kind]}</div></td>
                  <td>{p.period === 'month' ? 'Monthly' : 'Weekly'}</td>
                  <td>{p.tolerance_hours} h · {money(p.tolerance_amount)}</td>
                  <td>{p.fix_flow_name || <span className="muted">last handler</span>}</td>
                  <td>{p.last_report ? `${p.last_report.period_start}: ${p.last_report.difference_count} differ (${p.last_report.status})` : <span className="muted">none</span>}</td>
                  <td className="num"><button onClick={() => setRunning(p)} data-testid={`recon-run-${p.id}`}>Run report</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ResourceState>
      {open && <ReportView key={open} id={Number(open)} onFixed={() => void reports.refresh()} />}
      <Card title="History of reports" testid="recon-history" wide>
        <ResourceState resource={reports} what="reports" testid="recon-reports" isEmpty={(d) => d.results.length === 0} empty={{ title: 'No reports yet', body: 'Run one, or wait for the period to close.' }}>
          {(d) => (
            <table className="table ins-compact">
              <thead><tr><th>Report</th><th>Period</th><th>Status</th><th className="num">Matched</th><th className="num">Differences</th><th>Produced</th></tr></thead>
              <tbody>
                {d.results.map((r) => (
                  <tr key={r.id} data-testid={`recon-history-${r.id}`} className={String(r.id) === open ? 'ins-selected' : ''}>
                    <td><button className="link" onClick={() => setParams({ report: String(r.id) })} data-testid={`recon-open-${r.id}`}>{r.policy_name}</button></td>
                    <td>{r.period_start} – {r.period_end}</td>
                    <td>{r.status}</td>
                    <td className="num">{r.matched}</td>
                    <td className={`num${r.difference_count ? ' ins-bad' : ''}`}>{r.difference_count}</td>
                    <td title={clock(r.created_at)}>{timeAgo(r.finished_at ?? r.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ResourceState>
      </Card>
      {creating && <NewPolicyDialog onClose={() => setCreating(false)} onSaved={(p) => { setCreating(false); toast.success('Reconciliation created', p.name); void policies.refresh(); }} />}
      {running && <RunDialog policy={running} onClose={() => setRunning(null)} onQueued={() => { setRunning(null); toast.success('Report queued'); void reports.refresh(); void policies.refresh(); }} />}
    </InsightsPage>
  );
}
