// The environment badge of the editor (what is live where, and promoting) and of a run (where it ran).
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { flowsApi } from '../api/flows';
import { reviewsApi } from '../api/reviews';
import { useResource } from '../lib/useResource';
import { useSession } from '../session';
import { useToast } from '../ui/toast';
import { environmentLabel, environmentOf, promotable } from './model';

/** Whether the current organisation has environments, and its names for them (governance settings). */
export function useOrgEnvironments(): { enabled: boolean; names: Record<string, string> } {
  const { organisation } = useSession();
  const gov = useResource(organisation ? [organisation.id, 'governance'] : null, () => reviewsApi.governance(organisation!.id));
  return { enabled: !!gov.data?.environments_enabled, names: (gov.data?.environment_names as Record<string, string> | undefined) ?? {} };
}

/** A run's environment in a list row (nothing without environments). */
export function EnvironmentTag({ environment, names }: { environment?: string | null; names: Record<string, string> }) {
  const label = environmentLabel(environment, names);
  if (!label) return null;
  return (
    <span className={`env-badge env-${environment}`} data-testid="run-row-environment">
      {label}
    </span>
  );
}

export function RunEnvironmentBadge({ flowId, versionId, state, environment }: { flowId: number; versionId: number; state?: string; environment?: string }) {
  const envs = useResource([flowId, 'envs'], () => flowsApi.environments(flowId));
  const label = environmentOf(envs.data ?? null, versionId, state, environment);
  if (!label) return null;
  return (
    <span className="env-badge" data-testid="run-environment">
      {label}
    </span>
  );
}

export function FlowEnvironmentBadges({ flowId }: { flowId: number }) {
  const toast = useToast();
  const envs = useResource([flowId, 'envs'], () => flowsApi.environments(flowId));
  const [busy, setBusy] = useState(false);
  const data = envs.data;
  if (!data) return null;
  const next = promotable(data);
  async function withdraw(env: 'dev' | 'test', name: string) {
    if (!window.confirm(`Withdraw the release from ${name}? Its triggers stop firing; its runs stay.`)) return;
    setBusy(true);
    try {
      await flowsApi.withdraw(flowId, env);
      toast.success(`Nothing is live in ${name} now`);
      void envs.refresh();
    } catch (e) {
      toast.error('Not withdrawn', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  async function promote(env: 'dev' | 'test' | 'prod') {
    setBusy(true);
    try {
      const v = await flowsApi.promote(flowId, env);
      const name = data!.releases.find((r) => r.environment === env)?.name ?? env;
      toast.success(v.state === 'in_review' ? `v${v.number} sent for review before ${name}` : `v${v.number} is live in ${name}`);
      void envs.refresh();
    } catch (e) {
      toast.error('Not promoted', errorMessage(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <span className="env-badges" data-testid="flow-environments">
      {data.releases.map((r) => (
        <span key={r.environment} className="env-slot">
          <span
            className={`env-badge${r.version ? '' : ' env-empty'}`}
            data-testid={`env-${r.environment}`}
            title={[r.released_by ? `released by ${r.released_by}` : '', r.webhook_url ? `webhook: ${r.webhook_url}` : ''].filter(Boolean).join(' · ') || undefined}
          >
            {r.name} {r.number ? `v${r.number}` : '—'}
          </span>
          {data.enabled && r.version && r.environment !== 'prod' && (
            <button
              className="small ghost env-withdraw"
              disabled={busy}
              onClick={() => void withdraw(r.environment as 'dev' | 'test', r.name)}
              data-testid={`withdraw-${r.environment}`}
              aria-label={`Withdraw from ${r.name}`}
              title={`Withdraw from ${r.name} (its triggers stop)`}
            >
              ×
            </button>
          )}
        </span>
      ))}
      {next.length > 0 && (
        <select
          className="small"
          value=""
          disabled={busy}
          onChange={(e) => e.target.value && void promote(e.target.value as 'dev' | 'test' | 'prod')}
          data-testid="promote"
          aria-label="Promote to an environment"
        >
          <option value="">Promote to…</option>
          {next.map((k) => (
            <option key={k} value={k}>
              {data.releases.find((r) => r.environment === k)?.name}
            </option>
          ))}
        </select>
      )}
    </span>
  );
}

/** Where each environment's webhook listens (the editor's side panel); one URL without environments. */
export function EnvironmentWebhooks({ flowId, fallback }: { flowId: number; fallback?: string | null }) {
  const envs = useResource([flowId, 'envs'], () => flowsApi.environments(flowId));
  const data = envs.data;
  if (!data?.enabled) {
    return fallback ? (
      <p className="small">
        Webhook: <code className="break">{fallback}</code>
      </p>
    ) : null;
  }
  const live = data.releases.filter((r) => r.webhook_url);
  return (
    <div className="small" data-testid="env-webhooks">
      Webhooks (fire only where a version is released):
      {live.length === 0 && <span className="muted"> nothing released yet.</span>}
      <ul>
        {live.map((r) => (
          <li key={r.environment} data-testid={`env-webhook-${r.environment}`}>
            {r.name}: <code className="break">{r.webhook_url}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
