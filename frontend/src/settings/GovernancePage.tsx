// /settings/governance: four-eyes publishing, environments and audit retention of the current
// organisation. A partner's approval rule applies to all its customers (shown as inherited there).
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { reviewsApi, type Governance } from '../api/reviews';
import { useResource } from '../lib/useResource';
import { useSession } from '../session';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { SettingsPage } from './SettingsNav';

type Toggle = 'require_publish_approval' | 'require_distinct_approver' | 'environments_enabled' | 'prod_requires_test_run';

function GovernanceForm({ organisation, saved, onSaved }: { organisation: number; saved: Governance; onSaved: (g: Governance) => void }) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [retention, setRetention] = useState(saved.audit_retention_days ? String(saved.audit_retention_days) : '');
  const save = async (body: Parameters<typeof reviewsApi.setGovernance>[1]) => {
    setBusy(true);
    try {
      onSaved(await reviewsApi.setGovernance(organisation, body));
      toast.success('Governance saved');
    } catch (e) {
      toast.error('Not saved', errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (key: Toggle, label: string, help: string) => (
    <label className="gov-row">
      <input type="checkbox" checked={!!saved[key]} disabled={busy} onChange={(e) => void save({ [key]: e.target.checked })} data-testid={`gov-${key}`} />
      <span>
        <strong>{label}</strong>
        <br />
        <span className="muted small">{help}</span>
      </span>
    </label>
  );
  return (
    <div className="gov-form" data-testid="governance-form">
      <h2>Publishing</h2>
      {toggle('require_publish_approval', 'Require approval to publish', 'Publishing (and rollbacks, template rollouts) sends the version to Reviews; it goes live when approved. For a partner: all its customers too.')}
      {toggle('require_distinct_approver', 'The approver must not be the author', 'Four eyes: nobody approves their own version.')}
      {saved.approval_source === 'partner' && <p className="small" data-testid="gov-inherited">Your partner requires approval for your flows.</p>}
      <h2>Environments</h2>
      {toggle('environments_enabled', 'Use dev, test and prod', 'Versions are promoted from one environment to the next, binding each environment’s connections by name.')}
      {toggle('prod_requires_test_run', 'Prod needs a successful run in test', 'Promotion to prod is refused until the test release has run successfully.')}
      <h2>Audit trail</h2>
      <label className="gov-row">
        <span>
          <strong>Keep audit rows for</strong>{' '}
          <input type="number" min={1} className="gov-days" value={retention} placeholder="unlimited" onChange={(e) => setRetention(e.target.value)} data-testid="gov-retention" /> days
          <br />
          <span className="muted small">Empty keeps everything. Pruned rows leave their hash, so the chain still verifies.</span>
        </span>
      </label>
      <button disabled={busy} onClick={() => void save({ audit_retention_days: retention ? Number(retention) : null })} data-testid="gov-retention-save">
        Save retention
      </button>
    </div>
  );
}

export function GovernancePage() {
  const { organisation } = useSession();
  const resource = useResource(organisation ? [organisation.id, 'governance'] : null, () => reviewsApi.governance(organisation!.id));
  return (
    <SettingsPage testid="governance-page" title="Governance" subtitle={`Publishing approval, environments and audit retention of ${organisation?.name ?? ''}.`}>
      <ResourceState resource={resource} what="governance settings" testid="governance">
        {(g) => <GovernanceForm organisation={organisation!.id} saved={g} onSaved={(next) => resource.update(() => next)} />}
      </ResourceState>
    </SettingsPage>
  );
}
