/**
 * Node groups: presentation data of the flow document (`document.groups`), never read by planning or
 * execution (the server checks only that a group names existing nodes, each node in one group at most).
 *
 * On the canvas a group is a React Flow parent node (sub flow: `type: 'group'`, members carry
 * `parentId`, positioned relative to it). Its box is derived from its members' positions, so the document
 * keeps every node's absolute position and a group has no position of its own: moving the group moves its
 * members. Collapsed, the group is one compact node in the middle of that box; its members are hidden and
 * every edge entering or leaving the group is drawn to the compact node's left or right border (edges
 * inside it are hidden). Expanding shows the members where they were.
 *
 * Pure functions over documents; the store (../store/documentStore.ts) calls them.
 */
import type { DocEdge, FlowDocument, FlowGroup, NodeRunStatus, Position } from '../api/types';
import type { Box } from './viewport';

/** Space around the members and the header band above them (canvas units). */
export const GROUP_PAD = 24;
export const GROUP_HEADER = 44;
/** The collapsed group's size. */
export const COLLAPSED_SIZE = { width: 240, height: 76 };
/** A node not measured yet (its CSS width, a typical height). */
export const DEFAULT_NODE_SIZE = { width: 220, height: 62 };

/** The handles of a collapsed group (not connectable: only re-routed edges use them). */
export const GROUP_IN = 'in:__group';
export const GROUP_OUT = 'out:__group';

export type Sizes = Record<string, { width: number; height: number } | undefined>;

export function groupsOf(doc: FlowDocument): FlowGroup[] {
  return doc.groups ?? [];
}

/** node id -> the group holding it. */
export function groupIndex(doc: FlowDocument): Map<string, FlowGroup> {
  const out = new Map<string, FlowGroup>();
  for (const g of groupsOf(doc)) for (const id of g.nodes) if (!out.has(id)) out.set(id, g);
  return out;
}

/** The document with groups keeping only existing nodes, each node in its first group, empty groups
 * dropped (and no `groups` key when none is left). The same object when nothing changes. */
export function pruneGroups(doc: FlowDocument): FlowDocument {
  if (!doc.groups) return doc;
  const ids = new Set(doc.nodes.map((n) => n.id));
  const taken = new Set<string>();
  let changed = false;
  const groups: FlowGroup[] = [];
  for (const g of doc.groups) {
    const nodes = g.nodes.filter((id) => ids.has(id) && !taken.has(id));
    nodes.forEach((id) => taken.add(id));
    if (nodes.length !== g.nodes.length) changed = true;
    if (!nodes.length) continue;
    groups.push(nodes.length === g.nodes.length ? g : { ...g, nodes });
  }
  if (groups.length !== doc.groups.length) changed = true;
  if (!changed) return groups.length ? doc : withGroups(doc, []);
  return withGroups(doc, groups);
}

function withGroups(doc: FlowDocument, groups: FlowGroup[]): FlowDocument {
  if (groups.length) return { ...doc, groups };
  const rest = { ...doc };
  delete rest.groups;
  return rest;
}

/** Puts `nodeIds` into a new group `id` (taking them out of any group they were in). Null when none of
 * them is a node of the document. */
export function groupNodes(doc: FlowDocument, nodeIds: string[], id: string, label: string): FlowDocument | null {
  const exists = new Set(doc.nodes.map((n) => n.id));
  const members = doc.nodes.filter((n) => nodeIds.includes(n.id) && exists.has(n.id)).map((n) => n.id);
  if (!members.length) return null;
  const moved = new Set(members);
  const others = groupsOf(doc).map((g) => (g.nodes.some((n) => moved.has(n)) ? { ...g, nodes: g.nodes.filter((n) => !moved.has(n)) } : g));
  return pruneGroups(withGroups(doc, [...others, { id, label, nodes: members, collapsed: false }]));
}

/** Removes the groups `ids`; their nodes stay where they are. */
export function ungroup(doc: FlowDocument, ids: string[]): FlowDocument | null {
  const drop = new Set(ids);
  const groups = groupsOf(doc);
  if (!groups.some((g) => drop.has(g.id))) return null;
  return withGroups(doc, groups.filter((g) => !drop.has(g.id)));
}

export function updateGroup(doc: FlowDocument, id: string, patch: Partial<Omit<FlowGroup, 'id' | 'nodes'>>): FlowDocument | null {
  const groups = groupsOf(doc);
  const g = groups.find((x) => x.id === id);
  if (!g || Object.entries(patch).every(([k, v]) => g[k as keyof FlowGroup] === v)) return null;
  return withGroups(doc, groups.map((x) => (x.id === id ? { ...x, ...patch } : x)));
}

/** The expanded box of each group: its members' bounds plus padding and the header band. */
export function groupBoxes(doc: FlowDocument, sizes: Sizes): Map<string, Box> {
  const pos = new Map(doc.nodes.map((n) => [n.id, n.position]));
  const out = new Map<string, Box>();
  for (const g of groupsOf(doc)) {
    let left = Infinity, top = Infinity, right = -Infinity, bottom = -Infinity;
    for (const id of g.nodes) {
      const p = pos.get(id);
      if (!p) continue;
      const s = sizes[id] ?? DEFAULT_NODE_SIZE;
      left = Math.min(left, p.x);
      top = Math.min(top, p.y);
      right = Math.max(right, p.x + s.width);
      bottom = Math.max(bottom, p.y + s.height);
    }
    if (left === Infinity) continue;
    out.set(g.id, {
      x: left - GROUP_PAD,
      y: top - GROUP_PAD - GROUP_HEADER,
      width: right - left + 2 * GROUP_PAD,
      height: bottom - top + 2 * GROUP_PAD + GROUP_HEADER,
    });
  }
  return out;
}

/** Where the collapsed group sits (before compaction): the left of its box, halfway down. */
export function collapsedBox(box: Box): Box {
  return { x: box.x, y: Math.round(box.y + box.height / 2 - COLLAPSED_SIZE.height / 2), ...COLLAPSED_SIZE };
}

/** A display shift: everything drawn at document x >= `from` moves left by `by`. */
export interface Shift {
  from: number;
  by: number;
}

/**
 * Compaction: a collapsed group frees the width of its box, so what lies right of it is drawn that much
 * further left (display only: the document keeps every position, and expanding restores the layout).
 * A shift never lets something overlap: it is cut to the room really free right of the compact node
 * (another node or group reaching into that band, e.g. a group stacked above, reduces it).
 */
export function compaction(boxes: Map<string, Box>, collapsed: Set<string>, others: Box[]): Shift[] {
  const out: Shift[] = [];
  for (const [id, box] of boxes) {
    if (!collapsed.has(id)) continue;
    const right = box.x + box.width;
    let free = box.x + COLLAPSED_SIZE.width + GROUP_PAD;
    for (const [oid, o] of boxes) {
      if (oid === id) continue;
      const ow = collapsed.has(oid) ? COLLAPSED_SIZE.width : o.width;
      if (o.x < right && o.x + ow > free) free = Math.max(free, Math.min(right, o.x + ow));
    }
    for (const o of others) if (o.x < right && o.x + o.width > free) free = Math.max(free, Math.min(right, o.x + o.width));
    if (right - free > 0) out.push({ from: right, by: right - free });
  }
  return out.sort((a, b) => a.from - b.from);
}

/** How far left something at document x is drawn. */
export function shiftAt(x: number, shifts: Shift[]): number {
  let by = 0;
  for (const s of shifts) if (x >= s.from) by += s.by;
  return by;
}

/** Everything the canvas needs to draw groups: boxes, which are collapsed, and the compaction. */
export function groupLayout(doc: FlowDocument, sizes: Sizes, view: Record<string, boolean>): { boxes: Map<string, Box>; collapsed: Set<string>; shifts: Shift[] } {
  const boxes = groupBoxes(doc, sizes);
  const collapsed = new Set(groupsOf(doc).filter((g) => boxes.has(g.id) && (view[g.id] ?? !!g.collapsed)).map((g) => g.id));
  if (!collapsed.size) return { boxes, collapsed, shifts: [] };
  const grouped = groupIndex(doc);
  const others: Box[] = [
    ...doc.nodes.filter((n) => !grouped.has(n.id)).map((n) => ({ ...n.position, ...(sizes[n.id] ?? DEFAULT_NODE_SIZE) })),
    ...(doc.notes ?? []).map((n) => ({ ...n.position, width: n.width ?? 220, height: n.height ?? 140 })),
  ];
  return { boxes, collapsed, shifts: compaction(boxes, collapsed, others) };
}

/** Moves every member of group `id` by `delta` (the group was dragged): the group follows its members. */
export function memberMoves(doc: FlowDocument, id: string, delta: Position): { id: string; position: Position }[] {
  const g = groupsOf(doc).find((x) => x.id === id);
  if (!g) return [];
  const members = new Set(g.nodes);
  return doc.nodes.filter((n) => members.has(n.id)).map((n) => ({ id: n.id, position: { x: n.position.x + delta.x, y: n.position.y + delta.y } }));
}

/** An edge as the canvas draws it: an edge of the document, or several re-routed to a collapsed group. */
export interface RoutedEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: string;
  targetHandle: string;
  /** The document edges it stands for (one unless re-routed). */
  members: DocEdge[];
  rerouted: boolean;
}

/**
 * The edges to draw when the groups in `collapsed` are collapsed: an edge with an end inside a collapsed
 * group goes to that group's border (GROUP_IN / GROUP_OUT) instead, edges inside one collapsed group
 * are hidden, and edges that end up joining the same two handles are drawn once.
 */
export function routeEdges(doc: FlowDocument, collapsed: Set<string>): RoutedEdge[] {
  const owner = new Map<string, string>();
  for (const g of groupsOf(doc)) if (collapsed.has(g.id)) for (const id of g.nodes) owner.set(id, g.id);
  const out: RoutedEdge[] = [];
  const merged = new Map<string, RoutedEdge>();
  for (const e of doc.edges) {
    const sg = owner.get(e.source);
    const tg = owner.get(e.target);
    if (!sg && !tg) {
      out.push({ id: e.id, source: e.source, target: e.target, sourceHandle: `out:${e.source_port}`, targetHandle: `in:${e.target_port}`, members: [e], rerouted: false });
      continue;
    }
    if (sg && sg === tg) continue; // inside one collapsed group
    const source = sg ?? e.source;
    const target = tg ?? e.target;
    const sourceHandle = sg ? GROUP_OUT : `out:${e.source_port}`;
    const targetHandle = tg ? GROUP_IN : `in:${e.target_port}`;
    const id = `grp:${source}.${sourceHandle}-${target}.${targetHandle}`;
    const hit = merged.get(id);
    if (hit) {
      hit.members.push(e);
      continue;
    }
    const routed: RoutedEdge = { id, source, target, sourceHandle, targetHandle, members: [e], rerouted: true };
    merged.set(id, routed);
    out.push(routed);
  }
  return out;
}

export type GroupStatus = 'idle' | 'pending' | 'running' | 'retrying' | 'waiting' | 'succeeded' | 'failed' | 'skipped';

/**
 * One status for a group's nodes in a run: any failed -> failed; else any running (retrying, waiting)
 * -> that; else all done -> succeeded (skipped when all were skipped); some done while the run goes on
 * -> running; else pending. `idle` outside a run.
 */
export function aggregateStatus(statuses: (NodeRunStatus | 'pending' | undefined)[], inRun: boolean, runFinished: boolean): GroupStatus {
  if (!inRun) return 'idle';
  const has = (s: string) => statuses.includes(s as NodeRunStatus);
  if (has('failed')) return 'failed';
  if (has('running')) return 'running';
  if (has('retrying')) return 'retrying';
  if (has('waiting')) return 'waiting';
  const done = statuses.filter((s) => s === 'succeeded' || s === 'skipped').length;
  if (statuses.length && done === statuses.length) return statuses.every((s) => s === 'skipped') ? 'skipped' : 'succeeded';
  if (done && !runFinished) return 'running';
  return 'pending';
}
