// Pure helpers of the inbox page (tested without React): selection, bulk-action labels, progress.
import type { Batch, BulkActionName, Failure, RevalidateTarget, RevalidationResult } from '../api/inbox';

export const BULK_ACTIONS: { action: BulkActionName; label: string; hint: string }[] = [
  { action: 'retry', label: 'Retry from failed node', hint: 'Same version; what succeeded is kept.' },
  { action: 'replay_current', label: 'Replay on current version', hint: 'After fixing the flow: the published version.' },
  { action: 'replay_original', label: 'Replay on original version', hint: 'The version the run used.' },
  { action: 'skip', label: 'Skip', hint: 'Carry on without the failed step.' },
  { action: 'cancel', label: 'Cancel', hint: 'Give up on these.' },
  { action: 'resolve', label: 'Mark resolved', hint: 'Fixed elsewhere.' },
];

/** Every batch action's label (the bulk menu offers BULK_ACTIONS; revalidation has its own buttons). */
export const ACTION_LABELS: Record<BulkActionName, string> = {
  ...Object.fromEntries(BULK_ACTIONS.map((a) => [a.action, a.label])),
  revalidate: 'Revalidate',
  replay_draft: 'Replay passing on the draft',
} as Record<BulkActionName, string>;

export const GROUPINGS = [
  { key: 'category', label: 'Cause' },
  { key: 'flow', label: 'Flow' },
  { key: 'node', label: 'Step' },
  { key: 'customer', label: 'Customer' },
] as const;

/** Toggle one id in a selection (a new Set: React sees the change). */
export function toggle(selection: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(selection);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** All of `ids` selected: clear them; otherwise select them all. */
export function toggleAll(selection: ReadonlySet<number>, ids: number[]): Set<number> {
  const all = ids.length > 0 && ids.every((id) => selection.has(id));
  const next = new Set(selection);
  for (const id of ids) {
    if (all) next.delete(id);
    else next.add(id);
  }
  return next;
}

/** 0-100, for the progress bar of a batch. */
export function percent(batch: Pick<Batch, 'done' | 'total'>): number {
  if (!batch.total) return 100;
  return Math.min(100, Math.round((batch.done / batch.total) * 100));
}

export function batchFinished(batch: Pick<Batch, 'status'>): boolean {
  return batch.status === 'done';
}

export function batchSummary(batch: Pick<Batch, 'done' | 'total' | 'succeeded' | 'new_runs' | 'errors' | 'status'> & { action?: BulkActionName; results?: RevalidationResult[] }): string {
  const errors = Array.isArray(batch.errors) ? batch.errors.length : 0;
  if (batch.action === 'revalidate') {
    const head = `${batch.done} of ${batch.total} checked`;
    if (!batchFinished(batch)) return head;
    const c = verdictCounts(batch.results ?? []);
    return `${head}: ${c.pass} would pass, ${c.fail} still fail${c.unknown ? `, ${c.unknown} cannot tell` : ''}${errors ? `, ${errors} refused` : ''}`;
  }
  const head = `${batch.done} of ${batch.total} handled`;
  if (!batchFinished(batch)) return head;
  return `${head}: ${batch.succeeded} done, ${batch.new_runs} new run${batch.new_runs === 1 ? '' : 's'}${errors ? `, ${errors} refused` : ''}`;
}

/** How many results would pass, still fail, or cannot be told. */
export function verdictCounts(results: readonly Pick<RevalidationResult, 'verdict'>[]): { pass: number; fail: number; unknown: number } {
  const counts = { pass: 0, fail: 0, unknown: 0 };
  for (const r of results) counts[r.verdict] += 1;
  return counts;
}

/** A JSON value as one short line for the diff table. */
export function shortValue(value: unknown, max = 60): string {
  if (value === undefined || value === null) return '—';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "seen 3 times, last 5 min ago" for an exception a flow raised again on later runs ('' when seen once). */
export function recurrence(f: Pick<Failure, 'occurrences' | 'last_seen_at'>, ago: (iso: string) => string): string {
  if (!f.occurrences || f.occurrences < 2) return '';
  return `seen ${f.occurrences} times${f.last_seen_at ? `, last ${ago(f.last_seen_at)}` : ''}`;
}

/** The versions a revalidation may target: where publishing needs approval, replaying on an unreviewed
 * draft is refused, so only the published version is offered. */
export function revalidateTargets(approvalRequired: boolean): RevalidateTarget[] {
  return approvalRequired ? ['published'] : ['draft', 'published'];
}
