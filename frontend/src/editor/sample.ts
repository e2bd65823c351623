// Sample data for a node: what flows into it (pinned data of its upstream node, or the last run).
import type { Item, NodeType, JSONSchema } from '../api/types';
import type { EditorState } from '../store/documentStore';
import { flattenPaths } from '../lib/format';

export interface Sample {
  item: Item | null;
  items: Item[];
  source: 'pinned' | 'run' | 'none';
  upstream: string | null;
}

/** What sampleFor reads: pass these slices (not the whole state) so a node drag does not recompute it. */
export type SampleSource = { document: Pick<EditorState['document'], 'edges'>; pinned: EditorState['pinned']; run: EditorState['run'] };

export function sampleFor(state: SampleSource, nodeId: string): Sample {
  const incoming = state.document.edges.filter((e) => e.target === nodeId);
  const upstream = incoming[0]?.source ?? null;
  for (const e of incoming) {
    const pinned = state.pinned[e.source];
    if (pinned?.length) return { item: pinned[0], items: pinned, source: 'pinned', upstream: e.source };
  }
  const own = state.run?.nodeRuns[nodeId]?.input_items;
  if (own) {
    const items = Object.values(own).flat();
    if (items.length) return { item: items[0], items, source: 'run', upstream };
  }
  for (const e of incoming) {
    const out = state.run?.nodeRuns[e.source]?.output_items?.[e.source_port];
    if (out?.length) return { item: out[0], items: out, source: 'run', upstream: e.source };
  }
  return { item: null, items: [], source: 'none', upstream };
}

export function samplePaths(item: Item | null): string[] {
  return item ? flattenPaths(item).map((p) => p.path) : [];
}

const BUILTIN_PREFIXES = ['trigger.', 'transform.', 'logic.', 'flow.', 'http.', 'notify.'];

export function isConnectorType(t: NodeType | undefined): boolean {
  return !!t && !BUILTIN_PREFIXES.some((p) => t.type.startsWith(p));
}

/** Target field names a downstream connector node declares (its record properties, else its config). */
export function connectorTargets(t: NodeType | undefined): string[] {
  if (!isConnectorType(t)) return [];
  const props = t!.config_schema.properties ?? {};
  for (const key of ['record', 'fields', 'data', 'values', 'body']) {
    const nested = props[key];
    if (nested?.type === 'object' && nested.properties) return Object.keys(nested.properties);
  }
  return Object.entries(props)
    .filter(([, p]: [string, JSONSchema]) => !p['x-connection'])
    .map(([k]) => k);
}
