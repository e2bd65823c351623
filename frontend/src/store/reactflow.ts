// Derives React Flow nodes/edges from the editor state. node.data is JSON only (no callbacks):
// components reach the store through React context and dispatch intents.
import type { Edge, Node } from '@xyflow/react';
import type { EditorState } from './documentStore';
import type { NodeType, Port } from '../api/types';
import { inputPorts, outputPorts, type ProposedConnection } from '../graph/connections';
import { aggregateStatus, collapsedBox, groupLayout, routeEdges, shiftAt, type GroupStatus, type RoutedEdge } from '../graph/groups';

export type NodeStatus =
  | 'idle' | 'pending' | 'queued' | 'running' | 'retrying' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

export type FlowNodeData = {
  label: string;
  type: string;
  typeLabel: string;
  icon: string;
  category: string;
  status: NodeStatus;
  messages: string[];
  /** 'error' when any finding is an error, 'warning' when all are warnings. */
  severity: 'error' | 'warning' | null;
  inputs: Port[];
  outputs: Port[];
  disabled: boolean;
  isTrigger: boolean;
  inCount: number | null;
  outCount: number | null;
  attempt: number | null;
  /** The saga: this completed node is being (or was) undone after a later failure. */
  undo: 'compensating' | 'compensated' | 'compensation_failed' | null;
  readOnly: boolean;
};

export type NoteNodeData = { text: string; readOnly: boolean };

export type GroupNodeData = {
  label: string;
  /** How many nodes the group holds. */
  count: number;
  collapsed: boolean;
  /** The members' statuses in one (../graph/groups.ts aggregateStatus). */
  status: GroupStatus;
  /** Members that finished (succeeded or skipped) in the run shown. */
  done: number;
  severity: 'error' | 'warning' | null;
  readOnly: boolean;
  editing: boolean;
};

export type FlowRFNode = Node<FlowNodeData, 'flow'>;
export type NoteRFNode = Node<NoteNodeData, 'note'>;
/** A group: React Flow's parent node of a sub flow (its members carry `parentId`). */
export type GroupRFNode = Node<GroupNodeData, 'group'>;
export type RFNode = FlowRFNode | NoteRFNode | GroupRFNode;

export const IN = 'in:';
export const OUT = 'out:';
export const inHandle = (port: string) => `${IN}${port}`;
export const outHandle = (port: string) => `${OUT}${port}`;

/**
 * Turns a React Flow connection (loose mode: a drag may start on an input) into ports, flipping a
 * drag that went input -> output. Returns a reason when both ends are inputs or both are outputs.
 */
export function toPortConnection(c: {
  source: string | null;
  target: string | null;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}): { ok: true; conn: ProposedConnection } | { ok: false; reason: string } {
  const sh = c.sourceHandle ?? `${OUT}main`;
  const th = c.targetHandle ?? `${IN}main`;
  if (sh.startsWith(OUT) && th.startsWith(IN)) {
    return { ok: true, conn: { source: c.source, sourceHandle: sh.slice(OUT.length), target: c.target, targetHandle: th.slice(IN.length) } };
  }
  if (sh.startsWith(IN) && th.startsWith(OUT)) {
    return { ok: true, conn: { source: c.target, sourceHandle: th.slice(OUT.length), target: c.source, targetHandle: sh.slice(IN.length) } };
  }
  if (c.source === c.target) return { ok: false, reason: 'A node cannot connect to itself.' };
  return { ok: false, reason: sh.startsWith(IN) ? 'Wrong direction: an input can only connect to an output.' : 'Wrong direction: an output can only connect to an input.' };
}

const nodeCache = new WeakMap<object, Map<string, { key: string; node: RFNode }>>();
const edgeCache = new WeakMap<object, Map<string, { key: string; edge: Edge }>>();
// Fast path: when every input of a node (or edge) is the same object as last time, reuse its result
// without building and stringifying its data. A drag changes one node per tick; the other 499 hit here.
const refCache = new WeakMap<object, Map<string, { refs: unknown[]; value: RFNode | Edge }>>();

const lastArrays = new WeakMap<object, { nodes: RFNode[]; edges: Edge[] }>();

function sameRefs(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function byRefs<T extends RFNode | Edge>(owner: object, id: string, refs: unknown[], make: () => T): T {
  let m = refCache.get(owner);
  if (!m) {
    m = new Map();
    refCache.set(owner, m);
  }
  const hit = m.get(id);
  if (hit && sameRefs(hit.refs, refs)) return hit.value as T;
  const value = make();
  m.set(id, { refs, value });
  return value;
}

function cached<T>(owner: object, store: WeakMap<object, Map<string, { key: string; node?: T; edge?: T }>>, id: string, key: string, make: () => T, field: 'node' | 'edge'): T {
  let m = store.get(owner);
  if (!m) {
    m = new Map();
    store.set(owner, m);
  }
  const hit = m.get(id);
  if (hit && hit.key === key) return hit[field] as T;
  const value = make();
  m.set(id, { key, [field]: value });
  return value;
}

/** `owner` scopes the cache (one per store) so unchanged nodes keep their object identity. */
export function toReactFlow(state: EditorState, types: Map<string, NodeType>, owner: object): { nodes: RFNode[]; edges: Edge[] } {
  const sel = state.selection;
  const selNodes = new Set(sel.nodes);
  const selNotes = new Set(sel.notes);
  const selEdges = new Set(sel.edges);
  const messages = new Map<string, string[]>();
  const errors = new Set<string>();
  for (const f of state.findings) {
    if (!f.node_id) continue;
    if (f.severity !== 'warning') errors.add(f.node_id);
    const list = messages.get(f.node_id) ?? [];
    list.push(f.field ? `${f.field}: ${f.message}` : f.message);
    messages.set(f.node_id, list);
  }
  const run = state.run;
  // Groups first: React Flow wants a parent before its children in the list.
  const groups = state.document.groups ?? [];
  const { boxes, collapsed, shifts } = groupLayout(state.document, state.measured, state.groupView);
  const parentOf = new Map<string, { id: string; x: number; y: number; collapsed: boolean }>();
  const selGroups = new Set(sel.groups ?? []);
  const nodes: RFNode[] = [];
  for (const g of groups) {
    const box = boxes.get(g.id);
    if (!box) continue;
    const isCollapsed = collapsed.has(g.id);
    for (const id of g.nodes) parentOf.set(id, { id: g.id, x: box.x, y: box.y, collapsed: isCollapsed });
    const statuses = g.nodes.map((id) => run?.nodes[id]?.status ?? (run ? 'pending' as const : undefined));
    const data: GroupNodeData = {
      label: g.label,
      count: g.nodes.length,
      collapsed: isCollapsed,
      status: aggregateStatus(statuses, !!run, !!run && ['succeeded', 'failed', 'cancelled'].includes(run.status)),
      done: statuses.filter((x) => x === 'succeeded' || x === 'skipped').length,
      severity: g.nodes.some((id) => errors.has(id)) ? 'error' : g.nodes.some((id) => messages.has(id)) ? 'warning' : null,
      readOnly: state.readOnly,
      editing: state.editingGroup === g.id,
    };
    const at = isCollapsed ? collapsedBox(box) : box;
    const shown = { ...at, x: at.x - shiftAt(box.x, shifts) };
    const selected = selGroups.has(g.id);
    // React Flow (controlled) takes a node's measured size from here, and draws a node without one
    // invisibly; until the group is measured at its new size, its size is the one we give it.
    const measured = { width: shown.width, height: shown.height };
    const key = JSON.stringify([data, shown, selected]);
    nodes.push(cached<RFNode>(owner, nodeCache as never, g.id, key, () => ({
      id: g.id,
      type: 'group',
      position: { x: shown.x, y: shown.y },
      data,
      selected,
      style: { width: shown.width, height: shown.height },
      measured,
      // Behind its members when expanded (they are drawn above their parent anyway).
      zIndex: isCollapsed ? 0 : -2,
      className: isCollapsed ? 'rf-group is-collapsed' : 'rf-group',
    }), 'node'));
  }
  for (const n of state.document.nodes) {
    const t = types.get(n.type);
    const r = run?.nodes[n.id];
    const parent = parentOf.get(n.id);
    const shift = parent ? 0 : shiftAt(n.position.x, shifts);
    const refs = [n, t, r, !!run, state.findings, state.readOnly, state.measured[n.id], selNodes.has(n.id), parent?.id, parent?.x, parent?.y, parent?.collapsed, shift];
    nodes.push(byRefs<RFNode>(owner, n.id, refs, () => flowNode(n, t, r, parent, shift)));
  }
  function flowNode(
    n: EditorState['document']['nodes'][number],
    t: NodeType | undefined,
    r: NonNullable<typeof run>['nodes'][string] | undefined,
    parent: { id: string; x: number; y: number; collapsed: boolean } | undefined,
    shift: number,
  ): RFNode {
    const outs = r?.output_counts ? Object.values(r.output_counts).reduce((a, b) => a + b, 0) : null;
    const data: FlowNodeData = {
      label: n.label,
      type: n.type,
      typeLabel: t?.label ?? n.type,
      icon: t?.icon ?? 'box',
      category: t?.category ?? 'Unknown',
      status: r ? r.status : run ? 'pending' : 'idle',
      messages: [...(messages.get(n.id) ?? []), ...(t ? [] : [`Unknown node type "${n.type}"`])],
      severity: errors.has(n.id) || !t ? 'error' : messages.has(n.id) ? 'warning' : null,
      inputs: inputPorts(t),
      outputs: outputPorts(n, t),
      disabled: !!n.disabled,
      isTrigger: !!t?.is_trigger,
      inCount: r?.input_count ?? null,
      outCount: outs,
      attempt: r?.attempt ?? null,
      undo: r?.undo ?? null,
      readOnly: state.readOnly,
    };
    const measured = state.measured[n.id];
    const selected = selNodes.has(n.id);
    // In an expanded group: a child of the group node, positioned relative to it. In a collapsed one:
    // hidden (the group node stands for it).
    const inside = parent && !parent.collapsed ? parent : null;
    const position = inside ? { x: n.position.x - inside.x, y: n.position.y - inside.y } : shift ? { x: n.position.x - shift, y: n.position.y } : n.position;
    const hidden = !!parent?.collapsed;
    const key = JSON.stringify([data, position, measured, selected, inside?.id, hidden]);
    return cached<RFNode>(owner, nodeCache as never, n.id, key, () => ({
      id: n.id,
      type: 'flow',
      position,
      data,
      selected,
      ...(inside ? { parentId: inside.id } : {}),
      ...(hidden ? { hidden: true } : {}),
      ...(measured ? { measured } : {}),
      className: n.disabled ? 'is-disabled' : undefined,
    }), 'node');
  }
  for (const note of state.document.notes ?? []) {
    const measured = state.measured[note.id];
    const selected = selNotes.has(note.id);
    const shift = shiftAt(note.position.x, shifts);
    const key = JSON.stringify([note, measured, selected, state.readOnly, shift]);
    nodes.push(cached<RFNode>(owner, nodeCache as never, note.id, key, () => ({
      id: note.id,
      type: 'note',
      position: shift ? { x: note.position.x - shift, y: note.position.y } : note.position,
      data: { text: note.text, readOnly: state.readOnly },
      selected,
      // Behind the nodes as an annotation, but above them while selected (new, or being edited).
      zIndex: selected ? 1000 : -1,
      style: { width: note.width ?? 220, height: note.height ?? 140 },
      ...(measured ? { measured } : {}),
    }), 'node'));
  }
  const edges: Edge[] = (collapsed.size ? routeEdges(state.document, collapsed) : null)?.map((re) => {
    if (!re.rerouted) {
      const e = re.members[0];
      const r = run?.nodes[e.source];
      return byRefs<Edge>(owner, e.id, [e, r, selEdges.has(e.id)], () => flowEdge(e, r));
    }
    return groupEdge(re);
  }) ?? state.document.edges.map((e) => {
    const r = run?.nodes[e.source];
    return byRefs<Edge>(owner, e.id, [e, r, selEdges.has(e.id)], () => flowEdge(e, r));
  });
  /** Edges re-routed to a collapsed group's border: drawn, not selectable (expand to edit them). */
  function groupEdge(re: RoutedEdge): Edge {
    const errorPort = re.members.every((e) => e.source_port === 'error');
    const label = re.members.length > 1 ? `${re.members.length} links` : undefined;
    const key = JSON.stringify([re.source, re.sourceHandle, re.target, re.targetHandle, label, errorPort]);
    return cached<Edge>(owner, edgeCache as never, re.id, key, () => ({
      id: re.id,
      source: re.source,
      target: re.target,
      sourceHandle: re.sourceHandle,
      targetHandle: re.targetHandle,
      selectable: false,
      focusable: false,
      label,
      className: ['edge-grouped', errorPort ? 'edge-error' : ''].join(' ').trim(),
      data: { members: re.members.map((e) => e.id) },
    }), 'edge');
  }
  function flowEdge(e: EditorState['document']['edges'][number], r: NonNullable<typeof run>['nodes'][string] | undefined): Edge {
    const count = r?.output_counts?.[e.source_port];
    const label = count !== undefined ? `${count} item${count === 1 ? '' : 's'}` : e.source_port !== 'main' ? e.source_port : undefined;
    const selected = selEdges.has(e.id);
    const running = r?.status === 'running';
    const key = JSON.stringify([e, label, selected, running, e.source_port === 'error']);
    return cached<Edge>(owner, edgeCache as never, e.id, key, () => ({
      id: e.id,
      source: e.source,
      target: e.target,
      sourceHandle: outHandle(e.source_port),
      targetHandle: inHandle(e.target_port),
      selected,
      animated: running,
      label,
      className: [e.source_port === 'error' ? 'edge-error' : '', count !== undefined ? 'edge-counted' : ''].join(' ').trim() || undefined,
      data: { sourcePort: e.source_port, targetPort: e.target_port },
    }), 'edge');
  }
  // Same elements -> same array: React Flow rebuilds its connection lookup and re-renders every edge
  // whenever the edges prop changes identity, which a node drag (500 nodes) paid on every tick.
  const last = lastArrays.get(owner);
  const out = {
    nodes: last && sameRefs(last.nodes, nodes) ? last.nodes : nodes,
    edges: last && sameRefs(last.edges, edges) ? last.edges : edges,
  };
  lastArrays.set(owner, out);
  return out;
}
