import type { JSONValue } from '../api/types';

export interface MapRow {
  name: string;
  value: string;
}

/** Reads `fields` as a list of {name, value}; also accepts an object {name: value}. */
export function readRows(config: Record<string, JSONValue>): MapRow[] {
  const f = config.fields;
  if (Array.isArray(f)) {
    return f
      .filter((r): r is Record<string, JSONValue> => !!r && typeof r === 'object' && !Array.isArray(r))
      .map((r) => ({ name: String(r.name ?? ''), value: typeof r.value === 'string' ? r.value : JSON.stringify(r.value ?? '') }));
  }
  if (f && typeof f === 'object') return Object.entries(f).map(([name, v]) => ({ name, value: typeof v === 'string' ? v : JSON.stringify(v) }));
  return [];
}

export const pathExpression = (path: string) => `{{ $item.${path} }}`;
