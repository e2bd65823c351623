import { memo, useMemo, useState } from 'react';
import type { NodeType } from '../api/types';
import { NodeIcon } from '../lib/icons';

export const DND_TYPE = 'application/x-flowbuilder-node';

const ORDER = ['Trigger', 'Transform', 'Logic', 'Flow', 'HTTP', 'CRM', 'PSA', 'ERP'];

function PaletteView({ types, onAdd }: { types: NodeType[]; onAdd: (type: string) => void }) {
  const [q, setQ] = useState('');
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const match = (t: NodeType) =>
      !needle || [t.label, t.type, t.category, t.description].some((s) => s?.toLowerCase().includes(needle));
    const by = new Map<string, NodeType[]>();
    for (const t of types.filter(match)) {
      const list = by.get(t.category) ?? [];
      list.push(t);
      by.set(t.category, list);
    }
    const rank = (c: string) => (ORDER.indexOf(c) === -1 ? 99 : ORDER.indexOf(c));
    return [...by.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  }, [types, q]);
  return (
    <aside className="palette" data-testid="palette" aria-label="Node palette">
      <input
        type="search"
        className="palette-search"
        placeholder="Search nodes…  ( / )"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        data-testid="palette-search"
        id="palette-search"
        aria-label="Search nodes"
      />
      <div className="palette-groups">
        {groups.length === 0 && <p className="muted small pad">No node matches “{q}”.</p>}
        {groups.map(([cat, list]) => (
          <section key={cat} className="palette-group" data-testid={`palette-group-${cat}`}>
            <h4>{cat}</h4>
            {list.map((t) => (
              <button
                key={t.type}
                type="button"
                className="palette-item"
                draggable
                data-testid={`palette-item-${t.type}`}
                title={t.description || t.label}
                onDragStart={(e) => {
                  e.dataTransfer.setData(DND_TYPE, t.type);
                  e.dataTransfer.setData('text/plain', t.type);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onClick={() => onAdd(t.type)}
              >
                <span className={`palette-icon cat-${t.category.toLowerCase().replace(/[^a-z]/g, '')}`}>
                  <NodeIcon name={t.icon} label={t.label} size={16} />
                </span>
                <span className="palette-text">
                  <span>{t.label}</span>
                  <span className="muted small">{t.type}</span>
                </span>
              </button>
            ))}
          </section>
        ))}
      </div>
    </aside>
  );
}

export const Palette = memo(PaletteView);
