// /insights/slas: SLA policies on business time (a flow's runs, or a business event such as "approved
// time invoiced within 1 business day"), their attainment, the breaches, and each organisation's business
// calendar (working days and hours, public holidays of its country). Evaluated on schedule by the server.
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage, rows } from '../api/client';
import { flowsApi } from '../api/flows';
import { insightsApi, type BusinessCalendar, type SlaPolicy } from '../api/insights';
import { useResource } from '../lib/useResource';
import { clock } from '../lib/format';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { StatusBadge } from '../ui/bits';
import { useToast } from '../ui/toast';
import { Card, InsightsPage, OrgSelect, useScope, useTargets } from './InsightsNav';
import { SUBJECTS, UNITS, WEEKDAYS, slaTarget } from './model';
import './insights.css';

function NewSlaDialog({ onClose, onSaved }: { onClose: () => void; onSaved: (p: SlaPolicy) => void }) {
  const { targets } = useTargets();
  const { organisation } = useScope();
  const [org, setOrg] = useState<number>(organisation!.id);
  const target = targets.find((t) => t.id === org) ? org : (targets[0]?.id ?? org);
  const flows = useResource([target], () => flowsApi.list({ organisation: target, limit: 200 }));
  const [form, setForm] = useState({ name: '', subject: 'approved_to_invoiced', flow: '', target: '1', unit: 'business_days', criticality: 'normal' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const saved = await insightsApi.createSla({
        organisation: target,
        name: form.name.trim(),
        subject: form.subject as SlaPolicy['subject'],
        flow: form.subject === 'flow_run' && form.flow ? Number(form.flow) : null,
        target: Number(form.target),
        unit: form.unit as SlaPolicy['unit'],
        criticality: form.criticality as 'normal',
      });
      onSaved(saved);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <FormDialog title="New SLA" onClose={onClose} onSubmit={submit} submitLabel="Create SLA" busy={busy} error={error} testid="sla-dialog" submitTestid="sla-submit" disabled={!form.name.trim()}>
      <OrgSelect value={target} onChange={setOrg} targets={targets} testid="sla-org" />
      <label className="field"><span>Name</span><input value={form.name} onChange={set('name')} data-testid="sla-name" placeholder="Invoice within one business day of time approval" /></label>
      <label className="field"><span>Promise</span>
        <select value={form.subject} onChange={set('subject')} data-testid="sla-subject">
          {Object.entries(SUBJECTS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
        </select>
      </label>
      {form.subject === 'flow_run' && (
        <label className="field"><span>Flow</span>
          <select value={form.flow} onChange={set('flow')} data-testid="sla-flow">
            <option value="">Choose a flow</option>
            {rows(flows.data ?? []).map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
          </select>
        </label>
      )}
      <div className="ins-row">
        <label className="field"><span>Within</span><input type="number" min="0.25" step="0.25" value={form.target} onChange={set('target')} data-testid="sla-target" /></label>
        <label className="field"><span>Unit</span>
          <select value={form.unit} onChange={set('unit')} data-testid="sla-unit">
            {Object.entries(UNITS).map(([k, v]) => <option key={k} value={k}>{v}</option>)}
          </select>
        </label>
        {form.subject !== 'flow_run' && (
          <label className="field"><span>Criticality</span>
            <select value={form.criticality} onChange={set('criticality')} data-testid="sla-criticality">
              {['critical', 'high', 'normal', 'low'].map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </label>
        )}
      </div>
      <p className="muted small">Business time follows the customer's calendar below; a flow's SLA takes the flow's criticality.</p>
    </FormDialog>
  );
}

function CalendarForm({ cal, orgName, onSaved, orgId }: { cal: BusinessCalendar | null; orgName: string; onSaved: () => void; orgId?: number }) {
  const { organisation } = useScope();
  const toast = useToast();
  const [days, setDays] = useState<number[]>(cal?.working_days ?? [0, 1, 2, 3, 4]);
  const [start, setStart] = useState((cal?.day_start ?? '09:00').slice(0, 5));
  const [end, setEnd] = useState((cal?.day_end ?? '17:00').slice(0, 5));
  const [holidays, setHolidays] = useState(cal?.public_holidays ?? true);
  const [subdivision, setSubdivision] = useState(cal?.subdivision ?? '');
  const [extra, setExtra] = useState((cal?.extra_holidays ?? []).join(', '));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function save() {
    setBusy(true);
    setError(null);
    try {
      await insightsApi.saveCalendar({
        organisation: orgId ?? cal?.organisation ?? organisation!.id,
        working_days: days,
        day_start: start,
        day_end: end,
        public_holidays: holidays,
        subdivision: subdivision.trim(),
        extra_holidays: extra.split(',').map((s) => s.trim()).filter(Boolean),
      });
      toast.success('Business calendar saved', orgName);
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="ins-calendar" data-testid="business-calendar">
      <div className="ins-days">
        {WEEKDAYS.map((d, i) => (
          <label key={d} className="ins-day">
            <input type="checkbox" checked={days.includes(i)} onChange={(e) => setDays((x) => (e.target.checked ? [...x, i].sort() : x.filter((v) => v !== i)))} />
            {d}
          </label>
        ))}
      </div>
      <div className="ins-row">
        <label className="field"><span>From</span><input type="time" value={start} onChange={(e) => setStart(e.target.value)} /></label>
        <label className="field"><span>To</span><input type="time" value={end} onChange={(e) => setEnd(e.target.value)} /></label>
        <label className="field"><span>Region</span><input value={subdivision} onChange={(e) => setSubdivision(e.target.value)} placeholder="e.g. ENG, CA" maxLength={16} /></label>
      </div>
      <label className="ins-check"><input type="checkbox" checked={holidays} onChange={(e) => setHolidays(e.target.checked)} /> Public holidays of {cal?.country || 'the organisation\'s country'} ({cal?.timezone ?? 'its time zone'})</label>
      <label className="field"><span>Extra closed days</span><input value={extra} onChange={(e) => setExtra(e.target.value)} placeholder="2026-12-24, 2026-12-31" /></label>
      {error && <div className="callout callout-error" role="alert">{error}</div>}
      <button onClick={() => void save()} disabled={busy} data-testid="calendar-save">{busy ? 'Saving…' : 'Save calendar'}</button>
    </div>
  );
}

export function SlaPage() {
  const { organisation, listScope, isPartner } = useScope();
  const { targets, names } = useTargets();
  const toast = useToast();
  const policies = useResource(organisation ? [organisation.id] : null, () => insightsApi.slaPolicies(listScope));
  const [status, setStatus] = useState<'breached' | 'pending' | 'met' | ''>('breached');
  const evaluations = useResource(organisation ? [organisation.id, status] : null, () => insightsApi.slaEvaluations(listScope, status || undefined));
  const calendars = useResource(organisation ? [organisation.id] : null, () => insightsApi.calendars(listScope));
  const [creating, setCreating] = useState(false);
  const [calOrg, setCalOrg] = useState<number | null>(null);
  const calTarget = calOrg ?? targets[0]?.id ?? organisation?.id ?? 0;
  const cal = rows(calendars.data ?? []).find((c) => c.organisation === calTarget) ?? null;
  async function remove(p: SlaPolicy) {
    try {
      await insightsApi.deleteSla(p.id);
      policies.update((d) => (d ? { ...d, results: d.results.filter((x) => x.id !== p.id) } : d));
      toast.success('SLA deleted', p.name);
    } catch (e) {
      toast.error('Could not delete the SLA', errorMessage(e));
    }
  }
  return (
    <InsightsPage
      title="SLAs"
      subtitle="Promises on business time, per flow or business event"
      testid="sla-page"
      actions={<button className="primary" onClick={() => setCreating(true)} data-testid="sla-new">New SLA</button>}
    >
      <ResourceState
        resource={policies}
        what="SLAs"
        testid="sla-list"
        isEmpty={(d) => d.results.length === 0}
        empty={{ title: 'No SLAs yet', body: 'Promise, for example, "invoice within one business day of time approval".', testid: 'sla-empty' }}
      >
        {(d) => (
          <table className="table" data-testid="sla-table">
            <thead><tr>{isPartner && <th>Customer</th>}<th>SLA</th><th>Promise</th><th>Criticality</th><th className="num">Met</th><th className="num">Breached</th><th className="num">Pending</th><th /></tr></thead>
            <tbody>
              {d.results.map((p) => (
                <tr key={p.id} data-testid={`sla-${p.id}`}>
                  {isPartner && <td>{names.get(p.organisation) ?? p.organisation}</td>}
                  <td className="strong">{p.name}</td>
                  <td>{SUBJECTS[p.subject]}{p.flow_name ? ` (${p.flow_name})` : ''}, {slaTarget(p.target, p.unit ?? 'business_days')}</td>
                  <td className="ins-cap">{p.criticality}</td>
                  <td className="num">{p.summary.met}</td>
                  <td className={`num${p.summary.breached ? ' ins-bad' : ''}`}>{p.summary.breached}</td>
                  <td className="num">{p.summary.pending}</td>
                  <td className="num"><button className="ghost" onClick={() => void remove(p)} data-testid={`sla-delete-${p.id}`}>Delete</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ResourceState>
      <div className="ins-grid">
        <Card title={<>Clocks <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} data-testid="sla-status-filter" aria-label="Status">
          <option value="breached">breached</option><option value="pending">pending</option><option value="met">met</option><option value="">all</option>
        </select></>} testid="sla-evaluations">
          <ResourceState resource={evaluations} what="SLA clocks" testid="sla-evaluations" isEmpty={(d) => d.results.length === 0} empty={{ title: 'Nothing here', body: 'No clock has this status.' }}>
            {(d) => (
              <table className="table ins-compact">
                <thead><tr><th>What</th><th>SLA</th><th>Due</th><th>Status</th></tr></thead>
                <tbody>
                  {d.results.map((e) => (
                    <tr key={e.id} data-testid={`sla-evaluation-${e.id}`}>
                      <td>{e.run ? <Link to={`/runs/${e.run}`}>{e.label}</Link> : e.label}</td>
                      <td>{e.policy_name}</td>
                      <td>{clock(e.due_at)}</td>
                      <td><StatusBadge status={e.status === 'breached' ? 'failed' : e.status === 'met' ? 'succeeded' : 'waiting'} /> <span className="small">{e.status}</span></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </ResourceState>
        </Card>
        <Card title="Business calendar" testid="calendar-card">
          <OrgSelect value={calTarget} onChange={setCalOrg} targets={targets} testid="calendar-org" />
          {calendars.data && (
            <CalendarForm key={`${calTarget}-${cal?.id ?? 'new'}`} cal={cal} orgId={calTarget} orgName={names.get(calTarget) ?? ''} onSaved={() => void calendars.refresh()} />
          )}
        </Card>
      </div>
      {creating && (
        <NewSlaDialog
          onClose={() => setCreating(false)}
          onSaved={(p) => {
            setCreating(false);
            toast.success('SLA created', p.name);
            void policies.refresh();
          }}
        />
      )}
    </InsightsPage>
  );
}
