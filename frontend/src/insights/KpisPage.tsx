// /insights/kpis: business invariants across CRM, PSA and ERP (closed-won deals without a project,
// approved time not invoiced, paid invoices the CRM does not know of, CRM customers without an ERP link),
// each with its value, its threshold and a drill-down to the records. The systems are read through the
// organisation's connections in a background task; "Refresh now" queues it.
import { useState } from 'react';
import { errorMessage, rows } from '../api/client';
import { connectionsApi } from '../api/connections';
import { insightsApi, type BusinessSystems, type Kpi, type KpiValueDetail } from '../api/insights';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { Card, InsightsPage, OrgSelect, useScope, useTargets } from './InsightsNav';
import { KPI_KINDS, kpiNumber, money } from './model';
import './insights.css';

const ROLES = [
  { key: 'crm_connection', label: 'CRM' },
  { key: 'psa_connection', label: 'PSA' },
  { key: 'erp_connection', label: 'ERP' },
] as const;

function SystemsCard({ orgId, setup, onChanged }: { orgId: number; setup: BusinessSystems | null; onChanged: () => void }) {
  const toast = useToast();
  const conns = useResource([orgId], () => connectionsApi.list(orgId));
  const [busy, setBusy] = useState(false);
  async function choose(role: (typeof ROLES)[number]['key'], value: string) {
    try {
      await insightsApi.saveSystems({ organisation: orgId, [role]: value ? Number(value) : null });
      onChanged();
    } catch (e) {
      toast.error('Could not save', errorMessage(e));
    }
  }
  async function refresh() {
    if (!setup) return;
    setBusy(true);
    try {
      await insightsApi.refreshSystems(setup.id);
      toast.success('Reading the systems', 'KPIs and SLAs are recomputed when it is done.');
      onChanged();
    } catch (e) {
      toast.error('Could not refresh', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="ins-systems" data-testid="business-systems">
      {ROLES.map((r) => (
        <label key={r.key} className="field">
          <span>{r.label}</span>
          <select value={setup?.[r.key] ?? ''} onChange={(e) => void choose(r.key, e.target.value)} data-testid={`systems-${r.key}`}>
            <option value="">None</option>
            {(conns.data ?? []).map((c) => <option key={c.id} value={c.id}>{c.name} ({c.connector})</option>)}
          </select>
        </label>
      ))}
      <div className="ins-systems-status">
        <span className="muted small" data-testid="systems-status">
          {setup?.refreshed_at ? `Read ${timeAgo(setup.refreshed_at)} (${setup.refresh_status})` : `Not read yet (${setup?.refresh_status ?? 'never'})`}
          {setup?.refresh_error ? ` · ${setup.refresh_error}` : ''}
        </span>
        <button onClick={() => void refresh()} disabled={!setup || busy} data-testid="systems-refresh">Refresh now</button>
      </div>
    </div>
  );
}

function Drill({ valueId }: { valueId: number }) {
  const value = useResource([valueId], () => insightsApi.kpiValue(valueId));
  return (
    <ResourceState resource={value} what="the records" testid={`kpi-records-${valueId}`} rows={3}>
      {(v: KpiValueDetail) => (
        <div className="ins-drill">
          <table className="table ins-compact" data-testid="kpi-records">
            <thead><tr><th>System</th><th>Record</th><th>Id</th><th className="num">Hours</th><th className="num">Amount</th><th>Since</th></tr></thead>
            <tbody>
              {v.records.map((r) => (
                <tr key={`${r.system}:${r.id}`} data-testid={`kpi-record-${r.id}`}>
                  <td className="ins-cap">{r.system}</td>
                  <td>{r.entity.replace('_', ' ')}{r.name ? `: ${r.name}` : ''}</td>
                  <td><a href={`/insights/trace?q=${encodeURIComponent(r.id)}`}><code>{r.id}</code></a></td>
                  <td className="num">{r.hours ?? ''}</td>
                  <td className="num">{money(r.amount)}</td>
                  <td>{r.occurred_at ? timeAgo(r.occurred_at) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {v.record_count > v.records.length && <p className="muted small">Showing {v.records.length} of {v.record_count}.</p>}
        </div>
      )}
    </ResourceState>
  );
}

function KpiCard({ k, orgName, onDelete }: { k: Kpi; orgName?: string; onDelete: () => void }) {
  const [open, setOpen] = useState(false);
  const kind = KPI_KINDS[k.kind];
  const v = k.latest;
  const over = v?.over_threshold;
  return (
    <article className={`ins-kpi${over ? ' over' : ''}`} data-testid={`kpi-${k.id}`} data-over={over ? 'true' : 'false'}>
      <header>
        <div>
          <h3>{k.name}</h3>
          <p className="muted small">{kind.label}{orgName ? ` · ${orgName}` : ''}</p>
        </div>
        <button className="ghost" onClick={onDelete} data-testid={`kpi-delete-${k.id}`} aria-label={`Delete ${k.name}`}>✕</button>
      </header>
      <div className="ins-kpi-value" data-testid={`kpi-value-${k.id}`}>{v ? kpiNumber(v.value, k.kind) : '–'}</div>
      <p className="small">
        {v?.amount != null && <span data-testid={`kpi-amount-${k.id}`}>{money(v.amount)} · </span>}
        {k.threshold != null ? `threshold ${k.threshold}` : 'no threshold'}
        {v ? ` · computed ${timeAgo(v.computed_at)}` : ' · not computed yet'}
      </p>
      {v && v.record_count > 0 && (
        <button className="ghost" onClick={() => setOpen((o) => !o)} data-testid={`kpi-drill-${k.id}`}>
          {open ? 'Hide records' : `Show ${v.record_count} record${v.record_count === 1 ? '' : 's'}`}
        </button>
      )}
      {open && v && <Drill valueId={v.id} />}
    </article>
  );
}

function NewKpiDialog({ onClose, onSaved }: { onClose: () => void; onSaved: (k: Kpi) => void }) {
  const { targets } = useTargets();
  const { organisation } = useScope();
  const [org, setOrg] = useState(organisation!.id);
  const target = targets.find((t) => t.id === org) ? org : (targets[0]?.id ?? org);
  const [kind, setKind] = useState('won_without_project');
  const [name, setName] = useState('');
  const [param, setParam] = useState('');
  const [threshold, setThreshold] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const spec = KPI_KINDS[kind];
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const params = spec.param && param.trim() ? { [spec.param.name]: spec.param.name === 'crm_field' ? param.trim() : Number(param) } : {};
      const saved = await insightsApi.createKpi({
        organisation: target,
        kind: kind as Kpi['kind'],
        name: name.trim() || spec.label,
        params,
        threshold: threshold.trim() ? Number(threshold) : null,
      });
      onSaved(saved);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <FormDialog title="New KPI" onClose={onClose} onSubmit={submit} submitLabel="Create KPI" busy={busy} error={error} testid="kpi-dialog" submitTestid="kpi-submit">
      <OrgSelect value={target} onChange={setOrg} targets={targets} testid="kpi-org" />
      <label className="field"><span>Invariant</span>
        <select value={kind} onChange={(e) => setKind(e.target.value)} data-testid="kpi-kind">
          {Object.entries(KPI_KINDS).map(([k, v]) => <option key={k} value={k}>{v.label}</option>)}
        </select>
      </label>
      <label className="field"><span>Name</span><input value={name} onChange={(e) => setName(e.target.value)} placeholder={spec.label} data-testid="kpi-name" /></label>
      {spec.param && <label className="field"><span>{spec.param.label}</span><input value={param} onChange={(e) => setParam(e.target.value)} data-testid="kpi-param" /></label>}
      <label className="field"><span>Alert above ({spec.unit})</span><input type="number" min="0" value={threshold} onChange={(e) => setThreshold(e.target.value)} data-testid="kpi-threshold" /></label>
    </FormDialog>
  );
}

export function KpisPage() {
  const { organisation, listScope, isPartner } = useScope();
  const { targets, names } = useTargets();
  const toast = useToast();
  const kpis = useResource(organisation ? [organisation.id] : null, () => insightsApi.kpis(listScope));
  const systems = useResource(organisation ? [organisation.id] : null, () => insightsApi.systems(listScope));
  const [creating, setCreating] = useState(false);
  const [sysOrg, setSysOrg] = useState<number | null>(null);
  const sysTarget = sysOrg ?? targets[0]?.id ?? organisation?.id ?? 0;
  const setup = rows(systems.data ?? []).find((s) => s.organisation === sysTarget) ?? null;
  async function remove(k: Kpi) {
    try {
      await insightsApi.deleteKpi(k.id);
      void kpis.refresh();
    } catch (e) {
      toast.error('Could not delete the KPI', errorMessage(e));
    }
  }
  return (
    <InsightsPage
      title="Business KPIs"
      subtitle="Invariants across CRM, PSA and ERP, with the records that break them"
      testid="kpis-page"
      actions={<button className="primary" onClick={() => setCreating(true)} data-testid="kpi-new">New KPI</button>}
    >
      <Card title="Systems read for KPIs, SLAs and reconciliation" testid="systems-card" wide>
        <OrgSelect value={sysTarget} onChange={setSysOrg} targets={targets} testid="systems-org" />
        {sysTarget ? <SystemsCard key={sysTarget} orgId={sysTarget} setup={setup} onChanged={() => void systems.refresh()} /> : null}
      </Card>
      <ResourceState
        resource={kpis}
        what="KPIs"
        testid="kpi-list"
        isEmpty={(d) => d.results.length === 0}
        empty={{ title: 'No KPIs yet', body: 'Add one, e.g. "closed-won deals with no project after 24 hours".', testid: 'kpi-empty' }}
      >
        {(d) => (
          <div className="ins-kpis">
            {d.results.map((k) => <KpiCard key={k.id} k={k} orgName={isPartner ? names.get(k.organisation) : undefined} onDelete={() => void remove(k)} />)}
          </div>
        )}
      </ResourceState>
      {creating && <NewKpiDialog onClose={() => setCreating(false)} onSaved={(k) => { setCreating(false); toast.success('KPI created', k.name); void kpis.refresh(); }} />}
    </InsightsPage>
  );
}
