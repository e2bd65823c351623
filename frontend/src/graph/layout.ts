// Auto-layout (left to right) with dagre.
import dagre from '@dagrejs/dagre';
import type { DocEdge, DocNode, Position } from '../api/types';

export const NODE_W = 220;
export const NODE_H = 72;

export function layoutPositions(
  nodes: Pick<DocNode, 'id'>[],
  edges: Pick<DocEdge, 'source' | 'target'>[],
  sizes: Record<string, { width: number; height: number }> = {},
  opts: { rankdir?: 'LR' | 'TB'; nodesep?: number; ranksep?: number } = {},
): Record<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: opts.rankdir ?? 'LR', nodesep: opts.nodesep ?? 40, ranksep: opts.ranksep ?? 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const s = sizes[n.id] ?? { width: NODE_W, height: NODE_H };
    g.setNode(n.id, { width: s.width, height: s.height });
  }
  const ids = new Set(nodes.map((n) => n.id));
  for (const e of edges) if (ids.has(e.source) && ids.has(e.target)) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out: Record<string, Position> = {};
  for (const n of nodes) {
    const p = g.node(n.id);
    const s = sizes[n.id] ?? { width: NODE_W, height: NODE_H };
    // dagre gives centres; React Flow positions are top-left corners.
    out[n.id] = { x: Math.round(p.x - s.width / 2), y: Math.round(p.y - s.height / 2) };
  }
  return out;
}
