// Connection rules the canvas enforces before the server sees the document.
import type { DocEdge, DocNode, NodeType, Port } from '../api/types';

export interface ProposedConnection {
  source: string | null;
  sourceHandle: string | null | undefined;
  target: string | null;
  targetHandle: string | null | undefined;
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/** True when `target` can already reach `source`, so adding source -> target closes a cycle. */
export function wouldCreateCycle(edges: Pick<DocEdge, 'source' | 'target'>[], source: string, target: string): boolean {
  if (source === target) return true;
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const list = out.get(e.source);
    if (list) list.push(e.target);
    else out.set(e.source, [e.target]);
  }
  const seen = new Set<string>();
  const stack = [target];
  while (stack.length) {
    const cur = stack.pop()!;
    if (cur === source) return true;
    if (seen.has(cur)) continue;
    seen.add(cur);
    for (const nxt of out.get(cur) ?? []) stack.push(nxt);
  }
  return false;
}

/** The path of a cycle in the graph (node ids), or null for a DAG. */
export function findCycle(nodes: Pick<DocNode, 'id'>[], edges: Pick<DocEdge, 'source' | 'target'>[]): string[] | null {
  const out = new Map<string, string[]>();
  for (const n of nodes) out.set(n.id, []);
  for (const e of edges) out.get(e.source)?.push(e.target);
  const state = new Map<string, 1 | 2>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 1);
    path.push(id);
    for (const nxt of out.get(id) ?? []) {
      const st = state.get(nxt);
      if (st === 1) return [...path.slice(path.indexOf(nxt)), nxt];
      if (!st) {
        const found = visit(nxt);
        if (found) return found;
      }
    }
    path.pop();
    state.set(id, 2);
    return null;
  };
  for (const n of nodes) if (!state.get(n.id)) {
    const c = visit(n.id);
    if (c) return c;
  }
  return null;
}

/**
 * Output ports of a node: the type's outputs, or ports derived from its config when the schema says
 * `x-output-ports` (logic.switch: one port per rule, named by `port` or `case_<i>`, then "fallback"),
 * plus `error` when on_error is error_port.
 */
export function outputPorts(node: Pick<DocNode, 'on_error'> & { config?: DocNode['config'] }, type: NodeType | undefined): Port[] {
  let ports: Port[] = type ? [...type.outputs] : [{ name: 'main', label: 'main' }];
  const spec = type?.config_schema?.['x-output-ports'] as { from?: string; name?: string; label?: string; then?: string[] } | undefined;
  if (spec?.from) {
    const list = node.config?.[spec.from];
    const dynamic: Port[] = (Array.isArray(list) ? list : []).map((r, i) => {
      const rule = r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : {};
      const name = typeof rule[spec.name ?? 'port'] === 'string' && rule[spec.name ?? 'port'] ? String(rule[spec.name ?? 'port']) : `case_${i}`;
      const label = typeof rule[spec.label ?? 'label'] === 'string' && rule[spec.label ?? 'label'] ? String(rule[spec.label ?? 'label']) : name;
      return { name, label };
    });
    const tail = (spec.then ?? []).map((n) => type?.outputs.find((p) => p.name === n) ?? { name: n, label: n });
    ports = [...dynamic, ...tail];
  }
  if (node.on_error === 'error_port' && !ports.some((p) => p.name === 'error')) ports.push({ name: 'error', label: 'error' });
  return ports;
}

export function inputPorts(type: NodeType | undefined): Port[] {
  if (!type) return [{ name: 'main', label: 'main' }];
  return type.is_trigger ? [] : type.inputs;
}

/** A port takes one edge when it says so, or when the node has several named inputs (merge left/right). */
export function isSingleInput(type: NodeType | undefined, port: string): boolean {
  const ports = inputPorts(type);
  const p = ports.find((x) => x.name === port);
  if (p?.multiple !== undefined) return !p.multiple;
  return ports.length > 1;
}

export function checkConnection(
  conn: ProposedConnection,
  nodes: DocNode[],
  edges: DocEdge[],
  types: Map<string, NodeType>,
): ConnectionCheck {
  const { source, target } = conn;
  if (!source || !target) return { ok: false, reason: 'Drop the connection on a node port.' };
  if (source === target) return { ok: false, reason: 'A node cannot connect to itself.' };
  const src = nodes.find((n) => n.id === source);
  const dst = nodes.find((n) => n.id === target);
  if (!src || !dst) return { ok: false, reason: 'That node no longer exists.' };
  const srcType = types.get(src.type);
  const dstType = types.get(dst.type);
  const sourcePort = conn.sourceHandle ?? 'main';
  const targetPort = conn.targetHandle ?? 'main';
  const outs = outputPorts(src, srcType);
  const ins = inputPorts(dstType);
  if (!outs.some((p) => p.name === sourcePort)) {
    return { ok: false, reason: `Wrong direction: connect from an output of "${src.label}" to an input.` };
  }
  if (ins.length === 0) return { ok: false, reason: `"${dst.label}" is a trigger and takes no input.` };
  if (!ins.some((p) => p.name === targetPort)) {
    return { ok: false, reason: `Wrong direction: "${targetPort}" is not an input of "${dst.label}".` };
  }
  if (edges.some((e) => e.source === source && e.source_port === sourcePort && e.target === target && e.target_port === targetPort)) {
    return { ok: false, reason: 'These ports are already connected.' };
  }
  if (isSingleInput(dstType, targetPort) && edges.some((e) => e.target === target && e.target_port === targetPort)) {
    return { ok: false, reason: `Port "${targetPort}" of "${dst.label}" is already connected and takes one input.` };
  }
  if (wouldCreateCycle(edges, source, target)) {
    return { ok: false, reason: `This would create a cycle: "${dst.label}" already leads to "${src.label}".` };
  }
  return { ok: true };
}

/** Ids of nodes directly upstream of `id` (for sample data and $item autocomplete). */
export function upstreamOf(edges: DocEdge[], id: string): string[] {
  return edges.filter((e) => e.target === id).map((e) => e.source);
}

export function downstreamOf(edges: DocEdge[], id: string): string[] {
  return edges.filter((e) => e.source === id).map((e) => e.target);
}
