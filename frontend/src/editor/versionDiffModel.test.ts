import { describe, expect, it } from 'vitest';
import type { VersionDiff } from '../api/history';
import { diffCanvas } from './versionDiffModel';

const n = (id: string, x = 0) => ({ id, type: 'transform.map', label: id, position: { x, y: 0 }, config: {} });
const e = (s: string, t: string) => ({ id: `${s}-${t}`, source: s, source_port: 'main', target: t, target_port: 'main' });
const summary = { nodes_added: 0, nodes_removed: 0, nodes_changed: 0, edges_added: 0, edges_removed: 0, fields_changed: 0 };

describe('diffCanvas', () => {
  it('marks added, removed, changed and unchanged nodes and edges on one canvas', () => {
    const d: VersionDiff = {
      base: { ref: '1', label: 'v1' },
      head: { ref: 'draft', label: 'Draft' },
      base_document: { schema_version: 1, nodes: [n('t'), n('a'), n('gone', 500)], edges: [e('t', 'a'), e('a', 'gone')] },
      head_document: { schema_version: 1, nodes: [n('t'), n('a'), n('new')], edges: [e('t', 'a'), e('a', 'new')] },
      diff: {
        nodes_added: [{ id: 'new', type: 'transform.map', label: 'new' }],
        nodes_removed: [{ id: 'gone', type: 'transform.map', label: 'gone' }],
        nodes_changed: [{ id: 'a', type: 'transform.map', label: 'a', changes: [{ path: '/nodes/a/label', op: 'replace', old: 'x', new: 'a' }] }],
        edges_added: [{ ...e('a', 'new') }],
        edges_removed: [{ ...e('a', 'gone') }],
        document_changes: [],
        summary,
      },
    };
    const c = diffCanvas(d);
    expect(Object.fromEntries(c.nodes.map((x) => [x.id, x.kind]))).toEqual({ t: 'same', a: 'changed', new: 'added', gone: 'removed' });
    expect(c.nodes.find((x) => x.id === 'gone')?.position).toEqual({ x: 500, y: 0 });
    // A removed node where a newer node sits moves clear of it.
    const moved = diffCanvas({ ...d, head_document: { ...d.head_document, nodes: [n('t'), n('a'), n('new', 500)] } });
    expect(moved.nodes.find((x) => x.id === 'gone')?.position).toEqual({ x: 500, y: 80 });
    expect(c.edges.map((x) => [x.source, x.target, x.kind])).toEqual([
      ['t', 'a', 'same'],
      ['a', 'new', 'added'],
      ['a', 'gone', 'removed'],
    ]);
  });
});
