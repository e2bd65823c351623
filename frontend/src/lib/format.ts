export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.round(s / 86400)} d ago`;
  return new Date(t).toLocaleDateString();
}

export function clock(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** Flattens an item into dotted paths of its leaves (arrays by index, first 20 entries). */
export function flattenPaths(value: unknown, prefix = '', out: { path: string; value: unknown }[] = [], depth = 0): { path: string; value: unknown }[] {
  if (depth > 6) return out;
  if (Array.isArray(value)) {
    if (prefix) out.push({ path: prefix, value });
    value.slice(0, 20).forEach((v, i) => {
      if (v && typeof v === 'object') flattenPaths(v, `${prefix}[${i}]`, out, depth + 1);
    });
    return out;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const key = /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `\`${k}\``;
      const p = prefix ? `${prefix}.${key}` : key;
      if (v && typeof v === 'object') flattenPaths(v, p, out, depth + 1);
      else out.push({ path: p, value: v });
    }
    return out;
  }
  if (prefix) out.push({ path: prefix, value });
  return out;
}

export function preview(value: unknown, max = 60): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  if (s === undefined) return 'undefined';
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
