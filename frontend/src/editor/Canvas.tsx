import { useCallback, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  Background, ConnectionMode, Controls, MiniMap, ReactFlow, SelectionMode, useReactFlow,
  type Connection, type Edge, type EdgeChange, type FinalConnectionState, type IsValidConnection, type NodeChange, type NodeTypes,
} from '@xyflow/react';
import { FlowNode, NoteNode } from './FlowNode';
import { DND_TYPE } from './Palette';
import { useEditor, useStore } from './storeContext';
import { toPortConnection, toReactFlow, type RFNode } from '../store/reactflow';
import { useToast } from '../ui/toast';
import { AddFromHandleProvider, useAddFromHandle } from './addFromHandle';

// Module scope: React Flow re-mounts every node when this object changes identity.
const nodeTypes: NodeTypes = { flow: FlowNode, note: NoteNode };

const LARGE_FLOW = 150; // nodes; above this the canvas renders visible elements only and drops the minimap in drags

const STATUS_COLOR: Record<string, string> = {
  succeeded: '#1f9d55', failed: '#d64545', running: '#3558d4', retrying: '#d4a035', skipped: '#a0a7b4',
};

export function Canvas({ readOnly = false, onNodeOpen }: { readOnly?: boolean; onNodeOpen?: (id: string) => void }) {
  const store = useStore();
  const toast = useToast();
  const rf = useReactFlow();
  const state = useEditor((s) => s);
  const owner = useRef({}).current;
  const { nodes, edges } = useMemo(() => toReactFlow(state, store.nodeTypes, owner), [state, store, owner]);

  const onNodesChange = useCallback(
    (changes: NodeChange<RFNode>[]) => {
      const moves: { id: string; position: { x: number; y: number } }[] = [];
      let dragging = false;
      let ended = false;
      const sizes: Record<string, { width: number; height: number }> = {};
      const st = store.getState();
      const noteIds = new Set((st.document.notes ?? []).map((n) => n.id));
      let sel: { nodes: Set<string>; notes: Set<string> } | null = null;
      for (const c of changes) {
        if (c.type === 'position') {
          if (c.position) moves.push({ id: c.id, position: c.position });
          if (c.dragging) dragging = true;
          else ended = true;
        } else if (c.type === 'dimensions' && c.dimensions) {
          sizes[c.id] = { width: Math.round(c.dimensions.width), height: Math.round(c.dimensions.height) };
        } else if (c.type === 'select') {
          sel ??= { nodes: new Set(st.selection.nodes), notes: new Set(st.selection.notes) };
          const set = noteIds.has(c.id) ? sel.notes : sel.nodes;
          if (c.selected) set.add(c.id);
          else set.delete(c.id);
        }
      }
      // Selection first: a drag that selects its node records that selection as the step's "before",
      // so undoing the move selects the moved node again.
      if (sel) store.select({ nodes: [...sel.nodes], notes: [...sel.notes], edges: st.selection.edges });
      if (Object.keys(sizes).length) store.setMeasured(sizes);
      if (moves.length) store.moveNodes(moves, dragging);
      else if (ended) store.finishDrag();
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<Edge>[]) => {
      const st = store.getState();
      let edgesSel: Set<string> | null = null;
      for (const c of changes) {
        if (c.type === 'select') {
          edgesSel ??= new Set(st.selection.edges);
          if (c.selected) edgesSel.add(c.id);
          else edgesSel.delete(c.id);
        }
      }
      if (edgesSel) store.select({ ...st.selection, edges: [...edgesSel] });
    },
    [store],
  );

  const isValidConnection: IsValidConnection = useCallback(
    (c) => {
      const p = toPortConnection(c);
      return p.ok && store.checkConnection(p.conn).ok;
    },
    [store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      const p = toPortConnection(c);
      const res = p.ok ? store.connect(p.conn) : p;
      if (!res.ok) toast.error('Connection refused', res.reason);
    },
    [store, toast],
  );

  const addFromHandle = useAddFromHandle(readOnly);
  const openFromDrop = addFromHandle.onConnectEnd;

  // isValidConnection keeps React Flow from calling onConnect; say why when the drop lands on a handle.
  // A drop on empty canvas opens the palette there (addFromHandle).
  const onConnectEnd = useCallback(
    (_e: MouseEvent | TouchEvent, cs: FinalConnectionState) => {
      if (openFromDrop(_e, cs)) return;
      if (cs.isValid !== false || !cs.fromHandle || !cs.toHandle) return;
      const p = toPortConnection({
        source: cs.fromHandle.nodeId,
        sourceHandle: cs.fromHandle.id ?? null,
        target: cs.toHandle.nodeId,
        targetHandle: cs.toHandle.id ?? null,
      });
      const res = p.ok ? store.checkConnection(p.conn) : p;
      if (!res.ok) toast.error('Connection refused', res.reason);
    },
    [store, toast, openFromDrop],
  );

  // The minimap subscribes to and repaints every node on every drag tick (a third of a frame on a
  // 500-node flow): large flows unmount it while a node is dragged.
  const [dragging, setDragging] = useState(false);
  const big = nodes.length > LARGE_FLOW;
  const onNodeDragStart = useCallback(() => big && setDragging(true), [big]);
  const onNodeDragStop = useCallback(() => setDragging(false), []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DND_TYPE) || e.dataTransfer.types.includes('text/plain')) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      if (readOnly) return;
      const type = e.dataTransfer.getData(DND_TYPE) || e.dataTransfer.getData('text/plain');
      if (!type || !store.nodeType(type)) return;
      const pos = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      store.addNode(type, { x: pos.x - 110, y: pos.y - 30 });
    },
    [rf, store, readOnly],
  );

  return (
    <div className="canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <AddFromHandleProvider value={readOnly ? null : addFromHandle.open}>
      <ReactFlow<RFNode, Edge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onNodeDragStart={onNodeDragStart}
        onNodeDragStop={onNodeDragStop}
        isValidConnection={isValidConnection}
        onNodeDoubleClick={(_, n) => n.type === 'flow' && onNodeOpen?.(n.id)}
        connectionMode={ConnectionMode.Loose}
        selectionMode={SelectionMode.Partial}
        selectionOnDrag={false}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        deleteKeyCode={null}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable
        onlyRenderVisibleElements={big}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
        minZoom={0.1}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'smoothstep' }}
      >
        <Background gap={20} size={1} />
        {!dragging && <MiniMap pannable zoomable style={{ width: 150, height: 96 }} nodeColor={(n) => STATUS_COLOR[(n.data as { status?: string }).status ?? ''] ?? (n.type === 'note' ? '#f3e7a3' : '#c9d2e3')} />}
        <Controls showInteractive={false} />
      </ReactFlow>
      </AddFromHandleProvider>
      {addFromHandle.element}
    </div>
  );
}
