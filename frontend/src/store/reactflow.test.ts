import { describe, expect, it } from 'vitest';
import { toPortConnection, toReactFlow } from './reactflow';
import { DocumentStore } from './documentStore';
import { TYPES, doc, finding } from '../test-fixtures';

describe('toPortConnection', () => {
  it('maps handle ids to ports and flips input->output drags', () => {
    expect(toPortConnection({ source: 'a', sourceHandle: 'out:true', target: 'b', targetHandle: 'in:main' })).toEqual({
      ok: true, conn: { source: 'a', sourceHandle: 'true', target: 'b', targetHandle: 'main' },
    });
    expect(toPortConnection({ source: 'b', sourceHandle: 'in:main', target: 'a', targetHandle: 'out:main' })).toEqual({
      ok: true, conn: { source: 'a', sourceHandle: 'main', target: 'b', targetHandle: 'main' },
    });
    const r = toPortConnection({ source: 'a', sourceHandle: 'in:main', target: 'b', targetHandle: 'in:main' });
    expect(!r.ok && r.reason).toMatch(/Wrong direction/);
  });
});

describe('toReactFlow', () => {
  function setup() {
    const s = new DocumentStore({ types: TYPES });
    s.load({ id: 1, draft: { document: doc(), revision: 1, saved_by: null, saved_at: null, findings: [finding({ node_id: 'b', field: 'fields', message: 'is required' })] } });
    return s;
  }
  it('produces JSON-only node data with ports, statuses and findings', () => {
    const s = setup();
    const types = new Map(TYPES.map((t) => [t.type, t]));
    const { nodes, edges } = toReactFlow(s.getState(), types, {});
    const b = nodes.find((n) => n.id === 'b')!;
    expect(JSON.parse(JSON.stringify(b.data))).toEqual(b.data);
    expect(b.data).toMatchObject({ status: 'idle', messages: ['fields: is required'], severity: 'error' });
    const c = nodes.find((n) => n.id === 'c')!;
    expect((c.data as { outputs: { name: string }[] }).outputs.map((p) => p.name)).toEqual(['true', 'false']);
    expect(edges[0]).toMatchObject({ sourceHandle: 'out:main', targetHandle: 'in:main' });
  });
  it('keeps object identity for unchanged nodes and labels edges with counts', () => {
    const s = setup();
    const types = new Map(TYPES.map((t) => [t.type, t]));
    const owner = {};
    const first = toReactFlow(s.getState(), types, owner);
    s.renameNode('c', 'Decide');
    const second = toReactFlow(s.getState(), types, owner);
    expect(second.nodes[0]).toBe(first.nodes[0]);
    expect(second.nodes[2]).not.toBe(first.nodes[2]);
    s.runStarted(3);
    s.runEvents([{ seq: 1, type: 'node.succeeded', node_id: 'a', payload: { output_counts: { main: 4 } }, at: '' }]);
    const third = toReactFlow(s.getState(), types, owner);
    expect(third.edges[0].label).toBe('4 items');
    expect(third.nodes[0].data).toMatchObject({ status: 'succeeded', outCount: 4 });
    expect(third.nodes[1].data).toMatchObject({ status: 'pending' });
  });
  it('on a drag tick changes only the moved node: same edges array, selection and save state', () => {
    const s = setup();
    const types = new Map(TYPES.map((t) => [t.type, t]));
    const owner = {};
    s.select({ nodes: ['b'], edges: [], notes: [] });
    s.moveNodes([{ id: 'b', position: { x: 5, y: 5 } }], true);
    const before = s.getState();
    const first = toReactFlow(before, types, owner);
    s.moveNodes([{ id: 'b', position: { x: 50, y: 60 } }], true);
    const after = s.getState();
    const second = toReactFlow(after, types, owner);
    expect(after.selection).toBe(before.selection);
    expect(after.save).toBe(before.save);
    expect(second.edges).toBe(first.edges);
    expect(second.nodes[0]).toBe(first.nodes[0]);
    expect(second.nodes[1]).not.toBe(first.nodes[1]);
    expect(second.nodes[1].position).toEqual({ x: 50, y: 60 });
    s.finishDrag();
    expect(s.getState().canUndo).toBe(true);
  });
});
