// /alerts: the alert rules of the organisation (a partner's watch all its customers) with a form for a new
// one, and the incidents they opened, to acknowledge (stops escalation) and resolve.
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage, rows } from '../api/client';
import { alertsApi, type AlertKind, type AlertRuleInput, type ChannelKind } from '../api/alerts';
import { useResource } from '../lib/useResource';
import { timeAgo } from '../lib/format';
import { useSession } from '../session';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import '../inbox/inbox.css';

const KINDS: { kind: AlertKind; label: string; params: Record<string, number> }[] = [
  { kind: 'run_failed', label: 'A run failed', params: {} },
  { kind: 'failure_burst', label: 'N failures in M minutes', params: { count: 5, minutes: 10 } },
  { kind: 'trigger_unhealthy', label: 'A trigger failing or silent', params: { silent_minutes: 60 } },
  { kind: 'sla_breached', label: 'An SLA breached', params: {} },
  { kind: 'kpi_over', label: 'A KPI over its threshold', params: {} },
  { kind: 'credential_expiring', label: 'A credential about to expire', params: { days: 7 } },
];
const CHANNELS: { kind: ChannelKind; label: string; placeholder: string }[] = [
  { kind: 'email', label: 'E-mail', placeholder: 'ops@example.com' },
  { kind: 'slack', label: 'Slack webhook', placeholder: 'https://hooks.slack.com/services/…' },
  { kind: 'teams', label: 'Teams webhook', placeholder: 'https://…webhook.office.com/…' },
  { kind: 'webhook', label: 'Webhook', placeholder: 'https://example.com/alerts' },
];

function RuleForm({ orgId, onSaved }: { orgId: number; onSaved: () => void }) {
  const toast = useToast();
  const [name, setName] = useState('Critical runs failed');
  const [kind, setKind] = useState<AlertKind>('run_failed');
  const [params, setParams] = useState<Record<string, number>>({});
  const [channel, setChannel] = useState<ChannelKind>('email');
  const [target, setTarget] = useState('');
  const [escalate, setEscalate] = useState('');
  const [quiet, setQuiet] = useState({ start: '', end: '' });
  async function save() {
    const body: AlertRuleInput = {
      organisation: orgId,
      name,
      kind,
      params: kind === 'run_failed' ? { criticality: ['critical', 'high'] } : params,
      channels: [{ kind: channel, target }],
      escalation_channels: escalate ? [{ kind: channel, target }] : [],
      escalate_after_minutes: escalate ? Number(escalate) : null,
      quiet_start: quiet.start || null,
      quiet_end: quiet.end || null,
    };
    try {
      await alertsApi.createRule(body);
      toast.success('Rule saved');
      onSaved();
    } catch (e) {
      toast.error('Could not save', errorMessage(e));
    }
  }
  const spec = KINDS.find((k) => k.kind === kind);
  return (
    <div className="card alert-form" data-testid="alert-rule-form">
      <label className="field"><span>Name</span><input value={name} onChange={(e) => setName(e.target.value)} data-testid="alert-name" /></label>
      <label className="field"><span>When</span>
        <select value={kind} onChange={(e) => { const k = e.target.value as AlertKind; setKind(k); setParams(KINDS.find((x) => x.kind === k)?.params ?? {}); }} data-testid="alert-kind">
          {KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
        </select>
      </label>
      {Object.keys(spec?.params ?? {}).map((p) => (
        <label key={p} className="field"><span>{p.replace('_', ' ')}</span>
          <input type="number" min={1} value={params[p] ?? ''} onChange={(e) => setParams({ ...params, [p]: Number(e.target.value) })} data-testid={`alert-param-${p}`} />
        </label>
      ))}
      <label className="field"><span>Send to</span>
        <select value={channel} onChange={(e) => setChannel(e.target.value as ChannelKind)} data-testid="alert-channel">
          {CHANNELS.map((c) => <option key={c.kind} value={c.kind}>{c.label}</option>)}
        </select>
      </label>
      <label className="field"><span>Address or URL</span><input value={target} placeholder={CHANNELS.find((c) => c.kind === channel)?.placeholder} onChange={(e) => setTarget(e.target.value)} data-testid="alert-target" /></label>
      <label className="field"><span>Escalate (send again) after minutes unacknowledged</span><input type="number" min={1} value={escalate} onChange={(e) => setEscalate(e.target.value)} /></label>
      <div className="row" style={{ gap: 8 }}>
        <label className="field"><span>Quiet from</span><input type="time" value={quiet.start} onChange={(e) => setQuiet({ ...quiet, start: e.target.value })} /></label>
        <label className="field"><span>until</span><input type="time" value={quiet.end} onChange={(e) => setQuiet({ ...quiet, end: e.target.value })} /></label>
      </div>
      <button className="primary" onClick={() => void save()} data-testid="alert-save">Save rule</button>
    </div>
  );
}

export function AlertsPage() {
  const { organisation } = useSession();
  const toast = useToast();
  const rules = useResource(organisation ? [organisation.id] : null, () => alertsApi.rules());
  const incidents = useResource(organisation ? [organisation.id, 'incidents'] : null, () => alertsApi.incidents());
  const [creating, setCreating] = useState(false);
  async function act(what: () => Promise<unknown>, done: string) {
    try {
      await what();
      toast.success(done);
      incidents.reload();
    } catch (e) {
      toast.error('Could not do that', errorMessage(e));
    }
  }
  return (
    <div className="page" data-testid="alerts-page">
      <header className="page-head">
        <div>
          <h1>Alerts</h1>
          <p className="muted">Rules that open one incident per problem and tell people once. <Link to="/inbox">Back to the inbox</Link></p>
        </div>
        <button className="primary" onClick={() => setCreating((c) => !c)} data-testid="alert-new">{creating ? 'Close' : 'New rule'}</button>
      </header>
      {creating && organisation && <RuleForm orgId={organisation.id} onSaved={() => { setCreating(false); rules.reload(); }} />}
      <h2>Rules</h2>
      <ResourceState resource={rules} what="alert rules" testid="alert-rules" isEmpty={(d) => rows(d).length === 0} empty={{ title: 'No rules yet', body: 'Add a rule to hear about failures.' }}>
        {(data) => (
          <table className="table" data-testid="alert-rules">
            <thead><tr><th>Name</th><th>When</th><th>Channels</th><th>Escalation</th><th>Quiet hours</th><th /></tr></thead>
            <tbody>
              {rows(data).map((r) => (
                <tr key={r.id} data-testid={`alert-rule-${r.id}`}>
                  <td>{r.name}</td>
                  <td>{KINDS.find((k) => k.kind === r.kind)?.label ?? r.kind}</td>
                  <td>{r.channels.map((c) => `${c.kind}: ${c.target}`).join(', ')}</td>
                  <td>{r.escalate_after_minutes ? `after ${r.escalate_after_minutes} min` : '—'}</td>
                  <td>{r.quiet_start && r.quiet_end ? `${r.quiet_start.slice(0, 5)}–${r.quiet_end.slice(0, 5)}` : '—'}</td>
                  <td><button className="ghost" onClick={() => void alertsApi.deleteRule(r.id).then(() => rules.reload(), (e) => toast.error('Could not delete', errorMessage(e)))}>Delete</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ResourceState>
      <h2>Incidents</h2>
      <ResourceState resource={incidents} what="incidents" testid="incidents" isEmpty={(d) => rows(d).length === 0} empty={{ title: 'No incidents', body: 'Nothing has gone wrong that a rule watches.' }}>
        {(data) => (
          <table className="table" data-testid="incidents">
            <thead><tr><th>Incident</th><th>Customer</th><th>Status</th><th>Occurrences</th><th>Opened</th><th /></tr></thead>
            <tbody>
              {rows(data).map((i) => (
                <tr key={i.id} data-testid={`incident-${i.id}`}>
                  <td>{i.title}<div className="muted small">{i.rule_name}</div></td>
                  <td>{i.organisation_name}</td>
                  <td><span className="badge">{i.status}</span></td>
                  <td>{i.occurrences}</td>
                  <td>{timeAgo(i.opened_at)}</td>
                  <td>
                    {i.status === 'open' && <button className="ghost" onClick={() => void act(() => alertsApi.acknowledge(i.id), 'Acknowledged')}>Acknowledge</button>}
                    {i.status !== 'resolved' && <button className="ghost" onClick={() => void act(() => alertsApi.resolve(i.id), 'Resolved')}>Resolve</button>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ResourceState>
    </div>
  );
}
