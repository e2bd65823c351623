import { describe, expect, it } from 'vitest';
import type { FlowDocument } from '../api/types';
import { DocumentStore } from '../store/documentStore';
import { toReactFlow, type GroupRFNode } from '../store/reactflow';
import { TYPES, doc, nodeRun, runDetail } from '../test-fixtures';
import {
  COLLAPSED_SIZE, GROUP_HEADER, GROUP_IN, GROUP_OUT, GROUP_PAD, aggregateStatus, collapsedBox, groupBoxes, groupNodes, pruneGroups, routeEdges, ungroup,
} from './groups';

/** a -> b -> c -> d, plus b -> d: group {b, c} has two edges leaving it for d and one entering from a. */
function chain(): FlowDocument {
  const d = doc();
  return {
    ...d,
    nodes: [...d.nodes, { id: 'd', type: 'transform.map', label: 'D', position: { x: 900, y: 0 }, config: {} }],
    edges: [
      ...d.edges,
      { id: 'e3', source: 'c', source_port: 'true', target: 'd', target_port: 'main' },
      { id: 'e4', source: 'b', source_port: 'main', target: 'd', target_port: 'main' },
    ],
  };
}

const types = new Map(TYPES.map((t) => [t.type, t]));

function store(document: FlowDocument = chain(), readOnly = false) {
  const s = new DocumentStore({ types: TYPES, readOnly });
  s.load({ id: 1, draft: { document, revision: 1, saved_by: null, saved_at: null, findings: [] } });
  return s;
}

describe('group model', () => {
  it('groups nodes, moving them out of another group, and ungroups', () => {
    const one = groupNodes(chain(), ['b', 'c'], 'g1', 'Work')!;
    expect(one.groups).toEqual([{ id: 'g1', label: 'Work', nodes: ['b', 'c'], collapsed: false }]);
    const two = groupNodes(one, ['c', 'd', 'ghost'], 'g2', 'Tail')!;
    expect(two.groups!.map((g) => [g.id, g.nodes])).toEqual([['g1', ['b']], ['g2', ['c', 'd']]]);
    expect(groupNodes(one, ['ghost'], 'g3', 'x')).toBeNull();
    const none = ungroup(ungroup(two, ['g1'])!, ['g2'])!;
    expect(none).not.toHaveProperty('groups');
    expect(none.nodes).toEqual(chain().nodes); // nodes stay where they were
  });

  it('prunes members that are gone and empty groups', () => {
    const d = { ...chain(), groups: [{ id: 'g1', label: 'x', nodes: ['b', 'zz'] }, { id: 'g2', label: 'y', nodes: ['zz', 'b'] }] };
    expect(pruneGroups(d).groups).toEqual([{ id: 'g1', label: 'x', nodes: ['b'] }]);
    const clean = groupNodes(chain(), ['b'], 'g1', 'x')!;
    expect(pruneGroups(clean)).toBe(clean);
  });

  it('derives the box from the members with padding and a header band', () => {
    const d = groupNodes(chain(), ['b', 'c'], 'g1', 'Work')!;
    const box = groupBoxes(d, { b: { width: 100, height: 50 }, c: { width: 120, height: 60 } }).get('g1')!;
    expect(box).toEqual({ x: 200 - GROUP_PAD, y: -GROUP_PAD - GROUP_HEADER, width: 320 + 2 * GROUP_PAD, height: 60 + 2 * GROUP_PAD + GROUP_HEADER });
    const small = collapsedBox(box);
    expect(small.x).toBe(box.x);
    expect(small.y + small.height / 2).toBeCloseTo(box.y + box.height / 2, 0);
  });

  it('re-routes edges entering and leaving a collapsed group to its border and hides the inner ones', () => {
    const d = groupNodes(chain(), ['b', 'c'], 'g1', 'Work')!;
    expect(routeEdges(d, new Set()).map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
    const routed = routeEdges(d, new Set(['g1']));
    expect(routed.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle, e.members.map((m) => m.id)])).toEqual([
      ['a', 'out:main', 'g1', GROUP_IN, ['e1']],
      // c -> d (port true) and b -> d leave the group by one border: drawn once, standing for both.
      ['g1', GROUP_OUT, 'd', 'in:main', ['e3', 'e4']],
    ]);
  });

  it('aggregates member statuses: any failed is failed, then running, then all done', () => {
    expect(aggregateStatus(['succeeded', 'failed', 'running'], true, true)).toBe('failed');
    expect(aggregateStatus(['succeeded', 'running', 'pending'], true, false)).toBe('running');
    expect(aggregateStatus(['succeeded', 'skipped'], true, true)).toBe('succeeded');
    expect(aggregateStatus(['skipped', 'skipped'], true, true)).toBe('skipped');
    expect(aggregateStatus(['succeeded', 'pending'], true, false)).toBe('running');
    expect(aggregateStatus(['succeeded', 'pending'], true, true)).toBe('pending');
    expect(aggregateStatus([undefined], false, false)).toBe('idle');
  });
});

describe('groups in the store and on the canvas', () => {
  it('groups the selection (asking for a name), collapses as an undoable edit, and ungroups', () => {
    const s = store();
    s.select({ nodes: ['b', 'c'] });
    const id = s.groupSelection()!;
    expect(s.getState().editingGroup).toBe(id);
    expect(s.getState().selection.groups).toEqual([id]);
    s.renameGroup(id, '  Shape the data ');
    expect(s.getState().document.groups).toEqual([{ id, label: 'Shape the data', nodes: ['b', 'c'], collapsed: false }]);
    s.toggleGroup(id);
    expect(s.getState().document.groups![0].collapsed).toBe(true);
    s.undo();
    expect(s.getState().document.groups![0].collapsed).toBe(false);
    s.redo();
    s.ungroup([id]);
    expect(s.getState().document.groups).toBeUndefined();
    expect(s.getState().selection.nodes).toEqual(['b', 'c']);
  });

  it('draws an expanded group as the parent of its members, positioned relative to it', () => {
    const s = store();
    const id = s.groupSelection(['b', 'c'], 'Work')!;
    const { nodes, edges } = toReactFlow(s.getState(), types, {});
    const gi = nodes.findIndex((n) => n.id === id);
    const b = nodes.find((n) => n.id === 'b')!;
    const group = nodes[gi] as GroupRFNode;
    expect(group.type).toBe('group');
    expect(gi).toBeLessThan(nodes.findIndex((n) => n.id === 'b')); // parents first
    expect(b.parentId).toBe(id);
    expect({ x: b.position.x + group.position.x, y: b.position.y + group.position.y }).toEqual({ x: 200, y: 0 });
    expect(edges.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('collapses to one node with the edges on its border, and expands the nodes back in place', () => {
    const s = store();
    const id = s.groupSelection(['b', 'c'], 'Work')!;
    s.setGroupCollapsed(id, true);
    let rf = toReactFlow(s.getState(), types, {});
    const group = rf.nodes.find((n) => n.id === id) as GroupRFNode;
    expect(group.data).toMatchObject({ label: 'Work', count: 2, collapsed: true, status: 'idle' });
    expect(rf.nodes.filter((n) => n.hidden).map((n) => n.id).sort()).toEqual(['b', 'c']);
    expect(rf.edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])).toEqual([
      ['a', 'out:main', id, GROUP_IN],
      [id, GROUP_OUT, 'd', 'in:main'],
    ]);
    expect(rf.edges.every((e) => !e.hidden)).toBe(true);
    s.setGroupCollapsed(id, false);
    rf = toReactFlow(s.getState(), types, {});
    expect(rf.nodes.some((n) => n.hidden)).toBe(false);
    expect(s.getState().document.nodes.map((n) => n.position)).toEqual(chain().nodes.map((n) => n.position));
    expect(rf.edges.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
  });

  it('draws what lies right of a collapsed group closer (display only), unless something overlaps the freed band', () => {
    const s = store();
    const id = s.groupSelection(['b', 'c'], 'Work')!;
    const x = (nid: string) => toReactFlow(s.getState(), types, {}).nodes.find((n) => n.id === nid)!.position.x;
    s.setGroupCollapsed(id, true);
    const box = groupBoxes(s.getState().document, {}).get(id)!;
    const freed = box.x + box.width - (box.x + COLLAPSED_SIZE.width + GROUP_PAD);
    expect(x('d')).toBe(900 - freed);
    expect(x('a')).toBe(0);
    expect(s.getState().document.nodes.find((n) => n.id === 'd')!.position.x).toBe(900);
    s.setGroupCollapsed(id, false);
    expect(x('d')).toBe(900);
    // A node under the group reaching into the freed band: nothing moves.
    s.addNode('transform.map', { x: 500, y: 300 });
    s.setGroupCollapsed(id, true);
    expect(x('d')).toBe(900);
  });

  it('moving a group moves its members; deleting a member shrinks the group', () => {
    const s = store();
    const id = s.groupSelection(['b', 'c'], 'Work')!;
    s.moveGroup(id, { x: 10, y: 5 }, false);
    expect(s.getState().document.nodes.map((n) => [n.id, n.position.x, n.position.y])).toEqual([
      ['a', 0, 0], ['b', 210, 5], ['c', 410, 5], ['d', 900, 0],
    ]);
    s.removeElements({ nodes: ['b'] });
    expect(s.getState().document.groups![0].nodes).toEqual(['c']);
    s.removeElements({ nodes: ['c'] });
    expect(s.getState().document.groups).toBeUndefined();
  });

  it('shows the run status of a collapsed group and opens it when its failed node is selected (run view)', () => {
    const grouped = { ...chain(), groups: [{ id: 'g1', label: 'Work', nodes: ['b', 'c'], collapsed: true }] };
    const s = store(grouped, true);
    s.runSnapshot(runDetail({ status: 'failed', document: grouped, node_runs: [nodeRun({ node_id: 'a' }), nodeRun({ node_id: 'b' }), nodeRun({ node_id: 'c', status: 'failed' })] }));
    const g = () => toReactFlow(s.getState(), types, {}).nodes.find((n) => n.id === 'g1') as GroupRFNode;
    expect(g().data).toMatchObject({ collapsed: true, status: 'failed', done: 1 });
    s.setGroupCollapsed('g1', false); // read-only: this viewer only
    expect(s.getState().document.groups![0].collapsed).toBe(true);
    expect(g().data.collapsed).toBe(false);
    s.setGroupCollapsed('g1', true);
    s.select({ nodes: ['c'] });
    expect(g().data.collapsed).toBe(false);
    expect(s.isDirty).toBe(false);
  });

  it('keeps groups through a load and drops members the document does not have', () => {
    const s = store({ ...chain(), groups: [{ id: 'g1', label: 'Work', nodes: ['b', 'nope'], collapsed: true }] });
    expect(s.getState().document.groups).toEqual([{ id: 'g1', label: 'Work', nodes: ['b'], collapsed: true }]);
  });
});
