import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent, type RefObject } from 'react';
import {
  Background, ConnectionMode, Controls, MiniMap, ReactFlow, SelectionMode, useNodesInitialized, useReactFlow,
  type Connection, type Edge, type EdgeChange, type FinalConnectionState, type IsValidConnection, type NodeChange, type NodeTypes,
} from '@xyflow/react';
import { FlowNode, GroupNode, NoteNode } from './FlowNode';
import { DND_TYPE } from './Palette';
import { useEditor, useStore } from './storeContext';
import { toPortConnection, toReactFlow, type RFNode } from '../store/reactflow';
import { useToast } from '../ui/toast';
import { AddFromHandleProvider, useAddFromHandle } from './addFromHandle';
import { MAX_OPEN_ZOOM, READABLE_ZOOM, readableViewport, type Box } from '../graph/viewport';
import { collapsedBox, groupLayout, shiftAt } from '../graph/groups';

// Module scope: React Flow re-mounts every node when this object changes identity.
const nodeTypes: NodeTypes = { flow: FlowNode, note: NoteNode, group: GroupNode };

const LARGE_FLOW = 150; // nodes; above this the canvas renders visible elements only and drops the minimap in drags

const STATUS_COLOR: Record<string, string> = {
  succeeded: '#1f9d55', failed: '#d64545', running: '#3558d4', retrying: '#d4a035', skipped: '#a0a7b4',
};

/** Tidy up and "fit" never zoom past this (two nodes filled the screen at the maximum zoom). */
export const FIT_OPTIONS = { padding: 0.2, maxZoom: MAX_OPEN_ZOOM, minZoom: READABLE_ZOOM };

/**
 * Opens the flow once its nodes are measured: fitted when that is readable, else at a readable zoom
 * on `focus` (default: the trigger). The canvas says when (data-viewport="ready", data-zoom) for tests
 * and the editor benchmark.
 */
function useReadableOpen(wrapper: RefObject<HTMLDivElement | null>, focus: string | null | undefined, align: 'start' | 'centre') {
  const rf = useReactFlow();
  const initialised = useNodesInitialized();
  const store = useStore();
  // Only the flow as it was opened: a flow opened empty keeps its viewport when nodes are dropped in.
  // Very large flows (generated ones) open fitted as a whole instead (the `fitView` prop).
  const opened = store.getState().document.nodes.length;
  const done = useRef(opened === 0 || opened > LARGE_FLOW);
  useEffect(() => {
    if (done.current || !initialised || !wrapper.current) return;
    const boxes = new Map<string, Box>();
    for (const n of rf.getNodes()) {
      // What is on screen: nodes (a group's members sit relative to it) and collapsed groups.
      if (n.hidden || (n.type !== 'flow' && !(n.type === 'group' && n.data.collapsed))) continue;
      const at = rf.getInternalNode(n.id)?.internals.positionAbsolute ?? n.position;
      boxes.set(n.id, { x: at.x, y: at.y, width: n.measured?.width ?? 220, height: n.measured?.height ?? 72 });
    }
    if (!boxes.size) return;
    const doc = store.getState().document;
    const trigger = doc.nodes.find((n) => n.type.startsWith('trigger.'))?.id ?? doc.nodes[0]?.id;
    // A focus hidden in a collapsed group: the group's node stands for it.
    const shown = (id: string | null | undefined) => (id ? boxes.get(id) ?? boxes.get(doc.groups?.find((g) => g.nodes.includes(id))?.id ?? '') : undefined);
    const target = shown(focus) || shown(trigger);
    const el = wrapper.current;
    const v = readableViewport([...boxes.values()], { width: el.clientWidth, height: el.clientHeight }, { focus: target, align: focus ? align : 'start' });
    done.current = true;
    void rf.setViewport(v).then(() => {
      el.dataset.viewport = 'ready';
      el.dataset.zoom = v.zoom.toFixed(2);
    });
  }, [initialised, rf, focus, align, wrapper, store]);
}

export function Canvas({
  readOnly = false, onNodeOpen, focus, focusAlign = 'start',
}: { readOnly?: boolean; onNodeOpen?: (id: string) => void; focus?: string | null; focusAlign?: 'start' | 'centre' }) {
  const store = useStore();
  const toast = useToast();
  const rf = useReactFlow();
  const state = useEditor((s) => s);
  const owner = useRef({}).current;
  const { nodes, edges } = useMemo(() => toReactFlow(state, store.nodeTypes, owner), [state, store, owner]);
  const wrapper = useRef<HTMLDivElement>(null);
  useReadableOpen(wrapper, focus, focusAlign);
  const openedLarge = useRef(state.document.nodes.length > LARGE_FLOW).current;

  const onNodesChange = useCallback(
    (changes: NodeChange<RFNode>[]) => {
      const moves: { id: string; position: { x: number; y: number } }[] = [];
      let dragging = false;
      let ended = false;
      const sizes: Record<string, { width: number; height: number }> = {};
      const st = store.getState();
      const noteIds = new Set((st.document.notes ?? []).map((n) => n.id));
      const groupIds = new Set((st.document.groups ?? []).map((g) => g.id));
      // Where each group is drawn now: a member's position arrives relative to its (expanded) group,
      // a dragged group's as the group's new corner.
      // Positions arrive as drawn: collapsed groups compact what lies right of them (graph/groups.ts).
      const { boxes, collapsed, shifts } = groupLayout(st.document, st.measured, st.groupView);
      const docPos = new Map([...st.document.nodes, ...(st.document.notes ?? [])].map((n) => [n.id, n.position]));
      const parentOf = new Map<string, string>();
      for (const g of st.document.groups ?? []) if (!collapsed.has(g.id)) for (const id of g.nodes) parentOf.set(id, g.id);
      const groupMoves: { id: string; dx: number; dy: number }[] = [];
      let sel: { nodes: Set<string>; notes: Set<string>; groups: Set<string> } | null = null;
      for (const c of changes) {
        if (c.type === 'position') {
          if (c.position && groupIds.has(c.id)) {
            const box = boxes.get(c.id);
            const at = box && (collapsed.has(c.id) ? collapsedBox(box) : box);
            if (box && at) groupMoves.push({ id: c.id, dx: Math.round(c.position.x + shiftAt(box.x, shifts) - at.x), dy: Math.round(c.position.y - at.y) });
          } else if (c.position) {
            const parent = parentOf.get(c.id);
            const origin = parent ? boxes.get(parent) : undefined;
            const shift = shiftAt(docPos.get(c.id)?.x ?? c.position.x, shifts);
            moves.push({ id: c.id, position: origin ? { x: c.position.x + origin.x, y: c.position.y + origin.y } : { x: c.position.x + shift, y: c.position.y } });
          }
          if (c.dragging) dragging = true;
          else ended = true;
        } else if (c.type === 'dimensions' && c.dimensions) {
          sizes[c.id] = { width: Math.round(c.dimensions.width), height: Math.round(c.dimensions.height) };
        } else if (c.type === 'select') {
          sel ??= { nodes: new Set(st.selection.nodes), notes: new Set(st.selection.notes), groups: new Set(st.selection.groups ?? []) };
          const set = noteIds.has(c.id) ? sel.notes : groupIds.has(c.id) ? sel.groups : sel.nodes;
          if (c.selected) set.add(c.id);
          else set.delete(c.id);
        }
      }
      // Selection first: a drag that selects its node records that selection as the step's "before",
      // so undoing the move selects the moved node again.
      if (sel) store.select({ nodes: [...sel.nodes], notes: [...sel.notes], edges: st.selection.edges, groups: [...sel.groups] });
      if (Object.keys(sizes).length) store.setMeasured(sizes);
      // A dragged group moves its members (its box is theirs); members dragged with it are not moved twice.
      for (const g of groupMoves) store.moveGroup(g.id, { x: g.dx, y: g.dy }, dragging);
      const byGroup = new Set(groupMoves.flatMap((g) => st.document.groups?.find((x) => x.id === g.id)?.nodes ?? []));
      const own = moves.filter((m) => !byGroup.has(m.id));
      if (own.length) store.moveNodes(own, dragging);
      else if (ended && !groupMoves.length) store.finishDrag();
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

  // Right-click on a node, a group or a selection: group, ungroup, collapse/expand.
  const [menu, setMenu] = useState<{ x: number; y: number; group: string | null } | null>(null);
  const openMenu = useCallback(
    (e: ReactMouseEvent | MouseEvent, group: string | null) => {
      if (readOnly && !group) return;
      e.preventDefault();
      const box = wrapper.current?.getBoundingClientRect();
      setMenu({ x: e.clientX - (box?.left ?? 0), y: e.clientY - (box?.top ?? 0), group });
    },
    [readOnly],
  );
  const onNodeContextMenu = useCallback(
    (e: ReactMouseEvent, n: RFNode) => {
      if (n.type === 'note') return;
      const st = store.getState();
      if (n.type === 'flow' && !st.selection.nodes.includes(n.id)) store.select({ nodes: [n.id] });
      if (n.type === 'group') store.select({ groups: [n.id] });
      openMenu(e, n.type === 'group' ? n.id : null);
    },
    [store, openMenu],
  );
  const onSelectionContextMenu = useCallback((e: ReactMouseEvent) => openMenu(e, null), [openMenu]);

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
    <div ref={wrapper} className="canvas" data-testid="canvas" onDragOver={onDragOver} onDrop={onDrop}>
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
        onNodeContextMenu={onNodeContextMenu}
        onSelectionContextMenu={onSelectionContextMenu}
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
        fitView={openedLarge}
        fitViewOptions={openedLarge ? { padding: 0.2, maxZoom: MAX_OPEN_ZOOM } : FIT_OPTIONS}
        onInit={() => {
          if (openedLarge && wrapper.current) wrapper.current.dataset.viewport = 'ready';
        }}
        minZoom={0.1}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'smoothstep' }}
      >
        <Background gap={20} size={1} />
        {!dragging && (
          <MiniMap
            pannable
            zoomable
            style={{ width: 240, height: 100 }}
            nodeColor={(n) =>
              n.type === 'group' && !(n.data as { collapsed?: boolean }).collapsed
                ? 'rgba(120, 138, 176, 0.12)'
                : STATUS_COLOR[(n.data as { status?: string }).status ?? ''] ?? (n.type === 'note' ? '#f3e7a3' : '#7b8bb0')
            }
            nodeStrokeColor={(n) => (n.selected ? '#3558d4' : '#4a5878')}
            nodeStrokeWidth={6}
            nodeBorderRadius={8}
            maskColor="rgba(240, 243, 248, 0.55)"
          />
        )}
        <Controls showInteractive={false} />
      </ReactFlow>
      </AddFromHandleProvider>
      {addFromHandle.element}
      {menu && <GroupMenu at={menu} readOnly={readOnly} onClose={() => setMenu(null)} />}
    </div>
  );
}

/** The canvas's context menu for grouping (the toolbar and Ctrl+G / Ctrl+Shift+G do the same). */
function GroupMenu({ at, readOnly, onClose }: { at: { x: number; y: number; group: string | null }; readOnly: boolean; onClose: () => void }) {
  const store = useStore();
  const selection = useEditor((s) => s.selection);
  useEffect(() => {
    const close = () => onClose();
    window.addEventListener('pointerdown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('pointerdown', close);
      window.removeEventListener('keydown', close);
    };
  }, [onClose]);
  const run = (f: () => void) => (e: ReactMouseEvent) => {
    e.stopPropagation();
    f();
    onClose();
  };
  const group = at.group;
  const items: { label: string; testid: string; act: () => void }[] = [];
  if (group) {
    const collapsed = store.isCollapsed(group);
    items.push({ label: collapsed ? 'Expand group' : 'Collapse group', testid: 'menu-toggle-group', act: () => store.toggleGroup(group) });
    if (!readOnly) {
      items.push({ label: 'Rename group', testid: 'menu-rename-group', act: () => store.setEditingGroup(group) });
      items.push({ label: 'Ungroup', testid: 'menu-ungroup', act: () => store.ungroup([group]) });
    }
  } else if (!readOnly && selection.nodes.length) {
    items.push({ label: `Group ${selection.nodes.length} node${selection.nodes.length === 1 ? '' : 's'}`, testid: 'menu-group', act: () => store.groupSelection() });
  }
  if (!items.length) return null;
  return (
    <div className="menu-pop canvas-menu" role="menu" style={{ left: at.x, top: at.y }} data-testid="canvas-menu" onPointerDown={(e) => e.stopPropagation()}>
      {items.map((i) => (
        <button key={i.testid} className="small ghost" role="menuitem" data-testid={i.testid} onClick={run(i.act)}>
          {i.label}
        </button>
      ))}
    </div>
  );
}
