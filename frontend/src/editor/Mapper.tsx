// Two-column field mapper for transform.map: drag a source field onto a target row.
import { memo, useMemo, useState, type DragEvent } from 'react';
import type { DocNode, Item } from '../api/types';
import { flattenPaths, preview } from '../lib/format';
import { useEditor, useStore } from './storeContext';
import { connectorTargets, sampleFor } from './sample';
import { ExpressionField } from './widgets';
import { CodeEditor } from './CodeEditor';
import { useToast } from '../ui/toast';
import { pathExpression, readRows, type MapRow } from './mapperModel';

const FIELD_MIME = 'application/x-flowbuilder-field';

function lastSegment(path: string): string {
  const seg = path.split('.').pop() ?? path;
  return seg.replace(/`/g, '').replace(/\[\d+\]$/, '').replace(/\W+/g, '_').toLowerCase() || 'field';
}

// Props are the node's id and config (not the node): a drag changes the node's position only.
export const Mapper = memo(function Mapper({ nodeId, config }: { nodeId: string; config: DocNode['config'] }) {
  const node = { id: nodeId, config };
  const store = useStore();
  const toast = useToast();
  const edges = useEditor((s) => s.document.edges);
  const pinned = useEditor((s) => s.pinned);
  const run = useEditor((s) => s.run);
  // The types of the nodes downstream as one string, so moving nodes does not re-render the mapper.
  const typeKey = useEditor((s) => s.document.nodes.map((n) => `${n.id}=${n.type}`).join('\n'));
  const sample = useMemo(() => sampleFor({ document: { edges }, pinned, run }, nodeId), [edges, pinned, run, nodeId]);
  const rows = readRows(node.config);
  const [over, setOver] = useState<string | null>(null);
  const [pasting, setPasting] = useState(false);
  const [pasteText, setPasteText] = useState('');
  const sources = useMemo(() => (sample.item ? flattenPaths(sample.item) : []), [sample.item]);
  const paths = sources.map((s) => s.path);
  const suggestions = useMemo(() => {
    // The nearest connector nodes downstream (looking through logic/transform nodes such as If).
    const typeOf = new Map(typeKey.split('\n').map((l) => l.split('=') as [string, string]));
    const names = new Set<string>();
    const seen = new Set<string>([nodeId]);
    let frontier = [nodeId];
    for (let depth = 0; depth < 4 && frontier.length && names.size === 0; depth++) {
      const next: string[] = [];
      for (const e of edges.filter((x) => frontier.includes(x.source))) {
        if (seen.has(e.target)) continue;
        seen.add(e.target);
        const t = store.nodeType(typeOf.get(e.target) ?? '');
        const found = connectorTargets(t);
        for (const n of found) names.add(n);
        if (!found.length) next.push(e.target);
      }
      frontier = next;
    }
    return [...names].filter((n) => !rows.some((r) => r.name === n));
  }, [edges, typeKey, nodeId, store, rows]);

  const write = (next: MapRow[]) => store.updateConfig(node.id, { ...node.config, fields: next.map((r) => ({ name: r.name, value: r.value })) });
  const setRow = (i: number, patch: Partial<MapRow>) => write(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const addRow = (name = '', value = '') => {
    let n = name;
    let k = 2;
    while (n && rows.some((r) => r.name === n)) n = `${name}_${k++}`;
    write([...rows, { name: n, value }]);
  };

  const dropPath = (e: DragEvent): string | null => {
    e.preventDefault();
    setOver(null);
    return e.dataTransfer.getData(FIELD_MIME) || null;
  };
  const dragOver = (key: string) => (e: DragEvent) => {
    if (e.dataTransfer.types.includes(FIELD_MIME)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      setOver(key);
    }
  };

  const savePaste = () => {
    if (!sample.upstream) return;
    try {
      const data = JSON.parse(pasteText) as Item | Item[];
      const items = Array.isArray(data) ? data : [data];
      if (!items.every((x) => x && typeof x === 'object' && !Array.isArray(x))) throw new Error('Items must be JSON objects.');
      store.setPinned(sample.upstream, items);
      setPasting(false);
      toast.success(`Pinned ${items.length} sample item${items.length === 1 ? '' : 's'}`);
    } catch (err) {
      toast.error('Sample data is not valid', `${err instanceof Error ? err.message : String(err)} Paste a JSON object or a list of objects.`);
    }
  };

  return (
    <div className="mapper" data-testid="mapper">
      <section className="mapper-col">
        <header className="mapper-head">
          <h4>Source fields</h4>
          <span className="muted small">{sample.source === 'pinned' ? 'pinned sample' : sample.source === 'run' ? 'last run' : 'no sample'}</span>
        </header>
        {sources.length === 0 ? (
          <p className="muted small">
            {sample.upstream ? 'Run the flow or paste a sample item to see the fields coming in.' : 'Connect a node upstream to map its fields.'}
          </p>
        ) : (
          <ul className="mapper-sources" data-testid="mapper-sources">
            {sources.map((s) => (
              <li
                key={s.path}
                draggable
                className="mapper-source"
                data-testid={`mapper-source-${s.path}`}
                title={`Drag onto a target: ${pathExpression(s.path)}`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(FIELD_MIME, s.path);
                  e.dataTransfer.setData('text/plain', pathExpression(s.path));
                  e.dataTransfer.effectAllowed = 'copy';
                }}
              >
                <span className="mapper-path">{s.path}</span>
                <span className="muted small">{preview(s.value, 28)}</span>
              </li>
            ))}
          </ul>
        )}
        {sample.upstream && (
          <div className="mapper-paste">
            {pasting ? (
              <>
                <CodeEditor mode="json" value={pasteText} onChange={setPasteText} testid="mapper-sample-json" minLines={4} placeholder='{"Name": "Acme"}' />
                <div className="row gap-s">
                  <button className="primary small" onClick={savePaste} data-testid="mapper-sample-save">Pin sample</button>
                  <button className="small" onClick={() => setPasting(false)}>Cancel</button>
                </div>
              </>
            ) : (
              <div className="row gap-s">
                <button className="small" onClick={() => { setPasteText(JSON.stringify(sample.item ?? {}, null, 2)); setPasting(true); }} data-testid="mapper-sample-paste">
                  Paste sample JSON
                </button>
                {sample.source === 'pinned' && (
                  <button className="small ghost" onClick={() => store.setPinned(sample.upstream!, null)}>Unpin</button>
                )}
              </div>
            )}
          </div>
        )}
      </section>
      <section className="mapper-col">
        <header className="mapper-head">
          <h4>Target fields</h4>
          <button className="small" onClick={() => addRow()} data-testid="mapper-add-target">+ Add field</button>
        </header>
        {rows.length === 0 && <p className="muted small">Drag a source field here or add a field.</p>}
        {rows.map((r, i) => (
          <div
            key={i}
            className={`mapper-target${over === `row-${i}` ? ' is-over' : ''}`}
            data-testid={`mapper-target-${r.name || `#${i}`}`}
            onDragOver={dragOver(`row-${i}`)}
            onDragLeave={() => setOver(null)}
            onDrop={(e) => {
              const p = dropPath(e);
              if (p) setRow(i, { value: pathExpression(p) });
            }}
          >
            <div className="row gap-s">
              <input
                className="mapper-name"
                value={r.name}
                placeholder="target field"
                aria-label="Target field name"
                data-testid={`mapper-target-name-${i}`}
                onChange={(e) => setRow(i, { name: e.target.value })}
              />
              <button className="icon-btn" aria-label={`Remove ${r.name}`} data-testid={`mapper-remove-${i}`} onClick={() => write(rows.filter((_, j) => j !== i))}>
                ×
              </button>
            </div>
            <ExpressionField value={r.value} onChange={(v) => setRow(i, { value: v })} item={sample.item} paths={paths} testid={`mapper-target-value-${i}`} label={`Value of ${r.name}`} />
          </div>
        ))}
        <div
          className={`mapper-drop-new${over === 'new' ? ' is-over' : ''}`}
          data-testid="mapper-new-target"
          onDragOver={dragOver('new')}
          onDragLeave={() => setOver(null)}
          onDrop={(e) => {
            const p = dropPath(e);
            if (p) addRow(lastSegment(p), pathExpression(p));
          }}
        >
          Drop here to add a new field
        </div>
        {suggestions.length > 0 && (
          <div className="mapper-suggest">
            <div className="muted small">Fields the next step expects:</div>
            <div className="row wrap gap-s">
              {suggestions.map((n) => (
                <button
                  key={n}
                  className={`tag${over === `s-${n}` ? ' is-over' : ''}`}
                  data-testid={`mapper-target-${n}`}
                  onClick={() => addRow(n)}
                  onDragOver={dragOver(`s-${n}`)}
                  onDragLeave={() => setOver(null)}
                  onDrop={(e) => {
                    const p = dropPath(e);
                    if (p) addRow(n, pathExpression(p));
                  }}
                >
                  + {n}
                </button>
              ))}
            </div>
          </div>
        )}
      </section>
    </div>
  );
});
