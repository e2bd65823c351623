// Auto-layout (left to right) with dagre.
import dagre from '@dagrejs/dagre';
import type { DocEdge, DocNode, Position } from '../api/types';

export const NODE_W = 220;
export const NODE_H = 72;

/**
 * Left-to-right positions for ``nodes``. With ``groups`` the graph is compound (dagre's clusters): each
 * group's nodes are laid out together and no other node lands inside its box, so Tidy up keeps the
 * steps of a grouped flow apart.
 */
export function layoutPositions(
  nodes: Pick<DocNode, 'id'>[],
  edges: Pick<DocEdge, 'source' | 'target'>[],
  sizes: Record<string, { width: number; height: number }> = {},
  opts: { rankdir?: 'LR' | 'TB'; nodesep?: number; ranksep?: number } = {},
  groups: { id: string; nodes: string[] }[] = [],
): Record<string, Position> {
  const g = new dagre.graphlib.Graph({ compound: groups.length > 0 });
  g.setGraph({ rankdir: opts.rankdir ?? 'LR', nodesep: opts.nodesep ?? 40, ranksep: opts.ranksep ?? 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const s = sizes[n.id] ?? { width: NODE_W, height: NODE_H };
    g.setNode(n.id, { width: s.width, height: s.height });
  }
  const known = new Set(nodes.map((n) => n.id));
  for (const group of groups) {
    const members = group.nodes.filter((id) => known.has(id));
    if (!members.length || known.has(group.id)) continue;
    g.setNode(group.id, {});
    for (const id of members) g.setParent(id, group.id);
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
