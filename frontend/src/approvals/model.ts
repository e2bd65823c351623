// Pure helpers of the approvals inbox (tested in model.test.ts).
import type { Approval } from '../api/approvals';

/** The columns a request shows: the ones the flow chose, else the first few keys of its lines. */
/** The columns shown: the node's, or the first keys of the items; editable fields always (an approver
 * cannot edit a field that is not on the page). */
export function columnsOf(a: Pick<Approval, 'columns' | 'items' | 'editable_fields'>): string[] {
  const keys: string[] = [...a.columns];
  if (!keys.length) {
    for (const item of a.items.slice(0, 20)) for (const k of Object.keys(item)) if (!keys.includes(k)) keys.push(k);
    keys.splice(6);
  }
  for (const k of a.editable_fields) if (!keys.includes(k)) keys.push(k);
  return keys;
}

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value.toLocaleString(undefined, { maximumFractionDigits: 2 });
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Lines after an edit: the value of `field` on line `index` replaced (numbers stay numbers). */
export function editLine(
  items: Record<string, unknown>[], index: number, field: string, text: string,
): Record<string, unknown>[] {
  return items.map((item, i) => {
    if (i !== index) return item;
    const before = item[field];
    const value = typeof before === 'number' && text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
    return { ...item, [field]: value };
  });
}

/** Why a person cannot decide, or null when they can. */
export function decideBlocked(a: Pick<Approval, 'status' | 'can_decide' | 'assignee_roles' | 'assignee_users'>): string | null {
  if (a.status !== 'pending') return `Already ${a.status.replace('_', ' ')}.`;
  if (a.can_decide) return null;
  const who = [...a.assignee_roles.map((r) => `${r}s`), ...a.assignee_users].join(', ');
  return `Only ${who || 'the assignees'} may decide this approval.`;
}

export function dueText(dueAt: string | null, now = Date.now()): string {
  if (!dueAt) return 'no deadline';
  const ms = new Date(dueAt).getTime() - now;
  if (ms <= 0) return 'overdue';
  const h = Math.floor(ms / 3_600_000);
  return h >= 24 ? `due in ${Math.floor(h / 24)} d` : h >= 1 ? `due in ${h} h` : `due in ${Math.max(1, Math.round(ms / 60_000))} min`;
}
