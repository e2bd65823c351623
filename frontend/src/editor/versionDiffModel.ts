// A version diff (GET /api/flows/{id}/diff/) as one canvas: the newer side's nodes and edges, plus the
// older side's removed ones at their old places, each marked added / removed / changed / same.
import type { VersionDiff } from '../api/history';
import type { Position } from '../api/types';

const NODE_W = 220;
const NODE_H = 80;

export type DiffKind = 'added' | 'removed' | 'changed' | 'same';

export interface DiffCanvasNode {
  id: string;
  label: string;
  type: string;
  kind: DiffKind;
  position: Position;
}

export interface DiffCanvasEdge {
  id: string;
  source: string;
  target: string;
  kind: Exclude<DiffKind, 'changed'>;
}

const edgeKey = (e: { source: string; source_port: string; target: string; target_port: string }) =>
  `${e.source}|${e.source_port ?? 'main'}|${e.target}|${e.target_port ?? 'main'}`;

export function diffCanvas(d: VersionDiff): { nodes: DiffCanvasNode[]; edges: DiffCanvasEdge[] } {
  const added = new Set(d.diff.nodes_added.map((n) => String(n.id)));
  const changed = new Set(d.diff.nodes_changed.map((n) => String(n.id)));
  const removed = new Set(d.diff.nodes_removed.map((n) => String(n.id)));
  const node = (n: VersionDiff['head_document']['nodes'][number], kind: DiffKind): DiffCanvasNode => ({
    id: n.id,
    label: n.label || n.id,
    type: n.type,
    kind,
    position: n.position ?? { x: 0, y: 0 },
  });
  const nodes: DiffCanvasNode[] = (d.head_document.nodes ?? []).map((n) =>
    node(n, added.has(n.id) ? 'added' : changed.has(n.id) ? 'changed' : 'same'),
  );
  // A removed node keeps its old place unless a node of the newer side sits there (a replacement often
  // does): then it moves down until it is clear, so neither hides the other.
  for (const n of (d.base_document.nodes ?? []).filter((x) => removed.has(x.id))) {
    const r = node(n, 'removed');
    const position = { ...r.position };
    while (nodes.some((o) => Math.abs(o.position.x - position.x) < NODE_W && Math.abs(o.position.y - position.y) < NODE_H)) position.y += NODE_H;
    nodes.push({ ...r, position });
  }
  const addedEdges = new Set(d.diff.edges_added.map(edgeKey));
  const removedEdges = new Set(d.diff.edges_removed.map(edgeKey));
  const edges: DiffCanvasEdge[] = [
    ...(d.head_document.edges ?? []).map((e) => ({ id: `h-${e.id}`, source: e.source, target: e.target, kind: addedEdges.has(edgeKey(e)) ? ('added' as const) : ('same' as const) })),
    ...(d.base_document.edges ?? [])
      .filter((e) => removedEdges.has(edgeKey(e)))
      .map((e) => ({ id: `b-${e.id}`, source: e.source, target: e.target, kind: 'removed' as const })),
  ];
  return { nodes, edges };
}
