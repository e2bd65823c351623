// Before/after of an audit row as a field-by-field diff (pure; model.test.ts).
import { flattenPaths } from '../lib/format';

export type FieldChange = { field: string; old: string; new: string; kind: 'added' | 'removed' | 'changed' };

const text = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

/** Every leaf path that differs between `before` and `after`, in path order. */
export function changes(before: unknown, after: unknown): FieldChange[] {
  const flat = (v: unknown) => {
    const out = new Map<string, unknown>();
    if (v === null || v === undefined) return out;
    if (typeof v !== 'object') {
      out.set('(value)', v);
      return out;
    }
    for (const p of flattenPaths(v)) out.set(p.path, p.value);
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const rows: FieldChange[] = [];
  for (const k of keys) {
    const had = a.has(k);
    const has = b.has(k);
    if (had && has && text(a.get(k)) === text(b.get(k))) continue;
    rows.push({ field: k, old: had ? text(a.get(k)) : '', new: has ? text(b.get(k)) : '', kind: had && has ? 'changed' : had ? 'removed' : 'added' });
  }
  return rows;
}
