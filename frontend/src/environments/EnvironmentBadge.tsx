// The environment badge of the editor (what is live where, and promoting) and of a run (where it ran).
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { flowsApi } from '../api/flows';
import { useResource } from '../lib/useResource';
import { useToast } from '../ui/toast';
import { environmentOf, promotable } from './model';

export function RunEnvironmentBadge({ flowId, versionId, state }: { flowId: number; versionId: number; state?: string }) {
  const envs = useResource([flowId, 'envs'], () => flowsApi.environments(flowId));
  const label = environmentOf(envs.data ?? null, versionId, state);
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
        <span key={r.environment} className={`env-badge${r.version ? '' : ' env-empty'}`} data-testid={`env-${r.environment}`} title={r.released_by ? `released by ${r.released_by}` : undefined}>
          {r.name} {r.number ? `v${r.number}` : '—'}
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
