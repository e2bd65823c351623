// Copy/paste as JSON: the same text works between tabs, flows and the system clipboard.
import type { DocEdge, DocNode, FlowDocument, StickyNote } from '../api/types';
import { edgeId, newId } from './ids';

export const CLIPBOARD_KIND = 'flowbuilder/clipboard';

export interface ClipboardPayload {
  kind: typeof CLIPBOARD_KIND;
  version: 1;
  nodes: DocNode[];
  edges: DocEdge[];
  notes: StickyNote[];
}

/** The selected nodes, the edges between them, and the selected notes. */
export function copySelection(doc: FlowDocument, nodeIds: Iterable<string>, noteIds: Iterable<string> = []): ClipboardPayload {
  const ids = new Set(nodeIds);
  const nids = new Set(noteIds);
  return {
    kind: CLIPBOARD_KIND,
    version: 1,
    nodes: doc.nodes.filter((n) => ids.has(n.id)).map((n) => structuredClone(n)),
    edges: doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e })),
    notes: (doc.notes ?? []).filter((n) => nids.has(n.id)).map((n) => structuredClone(n)),
  };
}

export function serializeClipboard(p: ClipboardPayload): string {
  return JSON.stringify(p, null, 2);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validNode(n: unknown): n is DocNode {
  return (
    isObj(n) && typeof n.id === 'string' && typeof n.type === 'string' &&
    isObj(n.position) && typeof n.position.x === 'number' && typeof n.position.y === 'number'
  );
}

/**
 * Parses clipboard text. Accepts our payload, or a whole flow document ({nodes, edges}), or an export
 * wrapper with a `document` key. Returns null for anything else (plain text is not a paste of nodes).
 */
export function parseClipboard(text: string): ClipboardPayload | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (isObj(data) && isObj(data.document)) data = data.document;
  if (!isObj(data) || !Array.isArray(data.nodes)) return null;
  const nodes = data.nodes.filter(validNode).map((n) => ({
    ...n,
    label: typeof n.label === 'string' ? n.label : n.type,
    config: isObj(n.config) ? n.config : {},
  })) as DocNode[];
  if (nodes.length !== data.nodes.length) return null;
  const ids = new Set(nodes.map((n) => n.id));
  const edges = (Array.isArray(data.edges) ? data.edges : []).filter(
    (e): e is DocEdge => isObj(e) && typeof e.source === 'string' && typeof e.target === 'string' && ids.has(e.source) && ids.has(e.target),
  ).map((e) => ({ ...e, source_port: e.source_port ?? 'main', target_port: e.target_port ?? 'main' }));
  const notes = (Array.isArray(data.notes) ? data.notes : []).filter(
    (n): n is StickyNote => isObj(n) && typeof n.id === 'string' && isObj(n.position),
  );
  return { kind: CLIPBOARD_KIND, version: 1, nodes, edges, notes };
}

/**
 * Gives pasted nodes, edges and notes fresh ids (never colliding with `taken`) and moves them by `offset`.
 * Edges are re-pointed at the new node ids.
 */
export function prepareForPaste(
  clip: ClipboardPayload,
  taken: Set<string>,
  offset: { x: number; y: number },
): { nodes: DocNode[]; edges: DocEdge[]; notes: StickyNote[]; idMap: Map<string, string> } {
  const idMap = new Map<string, string>();
  const all = new Set(taken);
  const nodes = clip.nodes.map((n) => {
    const id = newId('n_', all);
    idMap.set(n.id, id);
    return { ...structuredClone(n), id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } };
  });
  const edges = clip.edges.map((e) => {
    const source = idMap.get(e.source)!;
    const target = idMap.get(e.target)!;
    return { ...e, id: edgeId(source, e.source_port, target, e.target_port), source, target };
  });
  const notes = clip.notes.map((n) => ({
    ...structuredClone(n),
    id: newId('note_', all),
    position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
  }));
  return { nodes, edges, notes, idMap };
}

/** In-memory fallback when navigator.clipboard is unavailable or refused. */
let memory: string | null = null;

export async function writeClipboard(text: string): Promise<void> {
  memory = text;
  try {
    await navigator.clipboard?.writeText(text);
  } catch {
    /* the in-memory copy still works inside this tab */
  }
}

export async function readClipboard(): Promise<string | null> {
  try {
    const text = await navigator.clipboard?.readText();
    if (text && parseClipboard(text)) return text;
  } catch {
    /* permission refused: fall back */
  }
  return memory;
}

export function setMemoryClipboard(text: string | null): void {
  memory = text;
}
