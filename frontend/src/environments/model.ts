// Which environment a version runs in, from a flow's releases (pure; model.test.ts).
import type { components } from '../api/schema';

export type Release = components['schemas']['Release'];
export type FlowEnvironments = components['schemas']['FlowEnvironments'];

/** The label of the environment `versionId` is released in; a test snapshot is the draft. */
export function environmentOf(envs: FlowEnvironments | null, versionId: number, state?: string): string | null {
  if (state === 'snapshot') return 'Draft (test run)';
  const hit = envs?.releases.find((r) => r.version === versionId);
  if (hit) return hit.name;
  return envs ? 'Not released' : null;
}

/** The next environment a flow can be promoted into, in order. */
export function promotable(envs: FlowEnvironments | null): Release['environment'][] {
  if (!envs?.enabled) return [];
  const out: string[] = [];
  envs.releases.forEach((r, i) => {
    if (i === 0 || envs.releases[i - 1].version !== null) out.push(r.environment);
  });
  return out;
}
