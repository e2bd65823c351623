import { useMemo, useState } from 'react';
import type { Item, NodeRun } from '../api/types';
import type { NodeRunState } from '../store/documentStore';
import { duration, flattenPaths, preview } from '../lib/format';
import { StatusBadge, Spinner } from '../ui/bits';

function ItemsTable({ items }: { items: Item[] }) {
  const cols = useMemo(() => {
    const set = new Set<string>();
    for (const it of items.slice(0, 50)) for (const p of flattenPaths(it)) set.add(p.path);
    return [...set].slice(0, 30);
  }, [items]);
  if (!items.length) return <p className="muted small pad">No items.</p>;
  const get = (it: Item, path: string) => flattenPaths(it).find((p) => p.path === path)?.value;
  return (
    <div className="items-table-wrap">
      <table className="table items-table" data-testid="output-table">
        <thead>
          <tr>
            <th>#</th>
            {cols.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {items.slice(0, 200).map((it, i) => (
            <tr key={i}>
              <td className="muted">{i + 1}</td>
              {cols.map((c) => (
                <td key={c}>{preview(get(it, c), 80)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {items.length > 200 && <p className="muted small">Showing 200 of {items.length} items.</p>}
    </div>
  );
}

export function OutputInspector({ nodeRun, state, loading }: { nodeRun?: NodeRun; state?: NodeRunState; loading?: boolean }) {
  const [side, setSide] = useState<'output' | 'input'>('output');
  const [view, setView] = useState<'table' | 'json'>('table');
  const [port, setPort] = useState<string | null>(null);
  if (!nodeRun && !state) {
    return <p className="muted pad" data-testid="output-empty">This node has not run yet. Run the flow, or run this node alone with pinned data.</p>;
  }
  const status = nodeRun?.status ?? state?.status;
  const error = nodeRun?.error ?? state?.error;
  const counts = side === 'output' ? nodeRun?.output_counts ?? state?.output_counts ?? {} : nodeRun?.input_counts ?? {};
  const itemsByPort = (side === 'output' ? nodeRun?.output_items : nodeRun?.input_items) ?? {};
  const ports = [...new Set([...Object.keys(itemsByPort), ...Object.keys(counts)])];
  const current = port && ports.includes(port) ? port : ports[0] ?? 'main';
  const items = itemsByPort[current] ?? [];
  return (
    <div className="output" data-testid="output-inspector">
      <div className="output-meta">
        <StatusBadge status={status} />
        <span className="muted small">attempt {nodeRun?.attempt ?? state?.attempt ?? 1}</span>
        <span className="muted small">{duration(nodeRun?.duration_ms ?? state?.duration_ms)}</span>
        <span className="muted small" data-testid="output-counts">
          in {nodeRun ? Object.values(nodeRun.input_counts).reduce((a, b) => a + b, 0) : state?.input_count ?? 0} · out{' '}
          {Object.entries(nodeRun?.output_counts ?? state?.output_counts ?? {}).map(([p, n]) => `${p}: ${n}`).join(', ') || 0}
        </span>
      </div>
      {error && (
        <div className="callout callout-error" data-testid="output-error" role="alert">
          <strong>{error.message}</strong>
          {error.hint && <div className="small">What to do: {error.hint}</div>}
        </div>
      )}
      <div className="row gap-s output-switches">
        <div className="seg" role="tablist">
          {(['output', 'input'] as const).map((s) => (
            <button key={s} role="tab" aria-selected={side === s} className={side === s ? 'on' : ''} onClick={() => setSide(s)} data-testid={`output-side-${s}`}>
              {s}
            </button>
          ))}
        </div>
        {ports.length > 1 && (
          <select value={current} onChange={(e) => setPort(e.target.value)} aria-label="Port">
            {ports.map((p) => (
              <option key={p} value={p}>
                {p} ({counts[p] ?? itemsByPort[p]?.length ?? 0})
              </option>
            ))}
          </select>
        )}
        <div className="seg">
          {(['table', 'json'] as const).map((v) => (
            <button key={v} className={view === v ? 'on' : ''} onClick={() => setView(v)} data-testid={`output-view-${v}`}>
              {v === 'json' ? 'JSON' : 'Table'}
            </button>
          ))}
        </div>
      </div>
      {!nodeRun ? (
        loading ? <div className="pad"><Spinner label="Loading items" /></div> : <p className="muted small pad">Items appear when the run finishes.</p>
      ) : view === 'table' ? (
        <ItemsTable items={items} />
      ) : (
        <pre className="json-view" data-testid="output-json">{JSON.stringify(items, null, 2)}</pre>
      )}
    </div>
  );
}
