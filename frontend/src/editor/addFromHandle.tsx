// Add a node from a handle: the "+" beside an output, or a connection dragged from a handle and dropped
// on empty canvas, opens a short palette at that point; the picked node is placed there and connected.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { useReactFlow, type FinalConnectionState } from '@xyflow/react';
import type { NodeType } from '../api/types';
import { NodeIcon } from '../lib/icons';
import { IN, OUT } from '../store/reactflow';
import { useStore } from './storeContext';
import './affordances.css';

/** Where the palette opens: a node's handle (``out:main``, ``in:main``) and a point on the screen. */
export interface HandleOrigin {
  nodeId: string;
  handleId: string;
  screen: { x: number; y: number };
}

const OpenContext = createContext<((o: HandleOrigin) => void) | null>(null);
export const AddFromHandleProvider = OpenContext.Provider;

const NODE_W = 220;

/** The types that fit at the other end: from an output, types with an input; from an input, with an output. */
export function fittingTypes(types: NodeType[], fromOutput: boolean, query: string): NodeType[] {
  const needle = query.trim().toLowerCase();
  return types
    .filter((t) => (fromOutput ? t.inputs.length > 0 : t.outputs.length > 0))
    .filter((t) => !needle || [t.label, t.type, t.category].some((s) => s?.toLowerCase().includes(needle)));
}

/** State and handlers for the canvas: ``onConnectEnd`` returns true when it opened the palette. */
export function useAddFromHandle(readOnly: boolean) {
  const [origin, setOrigin] = useState<HandleOrigin | null>(null);
  const open = useCallback((o: HandleOrigin) => !readOnly && setOrigin(o), [readOnly]);
  const onConnectEnd = useCallback(
    (e: MouseEvent | TouchEvent, cs: FinalConnectionState): boolean => {
      if (readOnly || !cs.fromHandle?.id || cs.toHandle || cs.toNode) return false;
      const pt = 'changedTouches' in e ? e.changedTouches[0] : e;
      setOrigin({ nodeId: cs.fromHandle.nodeId, handleId: cs.fromHandle.id, screen: { x: pt.clientX, y: pt.clientY } });
      return true;
    },
    [readOnly],
  );
  const element = origin ? <HandlePalette origin={origin} onClose={() => setOrigin(null)} /> : null;
  return { open, onConnectEnd, element };
}

function HandlePalette({ origin, onClose }: { origin: HandleOrigin; onClose: () => void }) {
  const store = useStore();
  const rf = useReactFlow();
  const [q, setQ] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const fromOutput = origin.handleId.startsWith(OUT);
  const port = origin.handleId.slice((fromOutput ? OUT : IN).length);
  const list = useMemo(() => fittingTypes([...store.nodeTypes.values()], fromOutput, q), [store, fromOutput, q]);
  useEffect(() => input.current?.focus(), []);

  const pick = (t: NodeType) => {
    const at = rf.screenToFlowPosition(origin.screen);
    const id = store.addNode(t.type, { x: fromOutput ? at.x + 10 : at.x - NODE_W - 10, y: at.y - 30 });
    if (id) {
      const conn = fromOutput
        ? { source: origin.nodeId, sourceHandle: port, target: id, targetHandle: t.inputs[0].name }
        : { source: id, sourceHandle: t.outputs[0].name, target: origin.nodeId, targetHandle: port };
      store.connect(conn);
    }
    onClose();
  };

  const left = Math.min(origin.screen.x, window.innerWidth - 280);
  const top = Math.min(origin.screen.y, window.innerHeight - 340);
  return (
    <div className="hp-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="hp" style={{ left, top }} role="dialog" aria-label="Add a connected node" data-testid="handle-palette">
        <input
          ref={input}
          type="search"
          className="hp-search"
          placeholder={fromOutput ? 'Add the next node…' : 'Add a node before…'}
          value={q}
          onChange={(e) => setQ(e.target.value)}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === 'Escape') onClose();
            if (e.key === 'Enter' && list[0]) pick(list[0]);
          }}
          data-testid="handle-palette-search"
          aria-label="Search nodes"
        />
        <ul className="hp-list">
          {list.length === 0 && <li className="muted small pad">No node fits “{q}”.</li>}
          {list.map((t) => (
            <li key={t.type}>
              <button type="button" className="hp-item" onClick={() => pick(t)} data-testid={`handle-palette-item-${t.type}`} title={t.description || t.label}>
                <span className={`palette-icon cat-${t.category.toLowerCase().replace(/[^a-z]/g, '')}`}>
                  <NodeIcon name={t.icon} label={t.label} size={14} />
                </span>
                <span>{t.label}</span>
                <span className="muted small">{t.category}</span>
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** The "+" beside an output handle (rendered by FlowNode; opens the palette from that port). */
export function HandlePlus({ nodeId, port, top }: { nodeId: string; port: string; top: string }) {
  const open = useContext(OpenContext);
  if (!open) return null;
  return (
    <button
      type="button"
      className="handle-plus nodrag nopan"
      style={{ top }}
      aria-label={`Add a node after ${port}`}
      title="Add a node connected to this output"
      data-testid={`handle-plus-${nodeId}-${port}`}
      onClick={(e) => {
        e.stopPropagation();
        const r = e.currentTarget.getBoundingClientRect();
        open({ nodeId, handleId: `${OUT}${port}`, screen: { x: r.right + 40, y: r.top + r.height / 2 } });
      }}
    >
      +
    </button>
  );
}
