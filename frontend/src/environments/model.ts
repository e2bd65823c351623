// Which environment a version runs in, from a flow's releases (pure; model.test.ts).
import type { components } from '../api/schema';

export type Release = components['schemas']['Release'];
export type FlowEnvironments = components['schemas']['FlowEnvironments'];

export const ENV_KEYS = ['dev', 'test', 'prod'] as const;
export type EnvKey = (typeof ENV_KEYS)[number];
export const DEFAULT_ENV_NAMES: Record<EnvKey, string> = { dev: 'Development', test: 'Test', prod: 'Production' };

/** An organisation's label for an environment key ('' -- no environments -- has none). */
export function environmentLabel(key: string | null | undefined, names?: Partial<Record<string, string>> | null): string | null {
  if (!key) return null;
  return names?.[key] || DEFAULT_ENV_NAMES[key as EnvKey] || key;
}

/** The label of the environment a version was made for (`environment`, recorded on the version), else
 * the one `versionId` is released in; a test snapshot is the draft. */
export function environmentOf(envs: FlowEnvironments | null, versionId: number, state?: string, environment?: string): string | null {
  if (state === 'snapshot') return 'Draft (test run)';
  if (environment && envs?.enabled) return envs.releases.find((r) => r.environment === environment)?.name ?? environmentLabel(environment);
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
