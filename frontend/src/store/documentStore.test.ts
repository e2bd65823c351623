import { describe, expect, it } from 'vitest';
import { DocumentStore } from './documentStore';
import { copySelection, parseClipboard, serializeClipboard } from '../graph/clipboard';
import { TYPES, doc, finding, nodeRun, runDetail } from '../test-fixtures';
import type { FlowDetail, RunDetail } from '../api/types';

function flow(revision = 3): Pick<FlowDetail, 'id' | 'draft'> {
  return { id: 7, draft: { document: doc(), revision, saved_by: 'ana', saved_at: '2026-11-22T10:00:00Z', findings: [] } };
}

function make(now = { t: 0 }) {
  const s = new DocumentStore({ types: TYPES, now: () => now.t });
  s.load(flow());
  return s;
}

describe('DocumentStore', () => {
  it('loads clean with no history', () => {
    const s = make();
    expect(s.getState().document.nodes).toHaveLength(3);
    expect(s.getState().save.revision).toBe(3);
    expect(s.isDirty).toBe(false);
    expect(s.getState().canUndo).toBe(false);
  });

  it('notifies subscribers and keeps documents immutable', () => {
    const s = make();
    const before = s.getState().document;
    let calls = 0;
    s.subscribe(() => calls++);
    const id = s.addNode('transform.map', { x: 10.4, y: 20.6 })!;
    expect(calls).toBeGreaterThan(0);
    expect(before.nodes).toHaveLength(3);
    const node = s.getState().document.nodes.find((n) => n.id === id)!;
    expect(node.position).toEqual({ x: 10, y: 21 });
    expect(node.config).toEqual({ fields: [], keep_other: false });
    expect(node.label).toBe('Map fields 2');
    expect(s.getState().selection.nodes).toEqual([id]);
    expect(s.isDirty).toBe(true);
  });

  it('undoes and redoes edits', () => {
    const now = { t: 0 };
    const s = make(now);
    s.renameNode('b', 'Shape');
    now.t += 5000;
    s.removeElements({ nodes: ['c'] });
    expect(s.getState().document.edges.map((e) => e.id)).toEqual(['e1']);
    s.undo();
    expect(s.getState().document.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
    expect(s.getState().document.edges).toHaveLength(2);
    s.undo();
    expect(s.getState().document.nodes[1].label).toBe('Map');
    expect(s.getState().canUndo).toBe(false);
    s.redo();
    expect(s.getState().document.nodes[1].label).toBe('Shape');
    s.redo();
    expect(s.getState().document.nodes).toHaveLength(2);
    expect(s.getState().canRedo).toBe(false);
  });

  it('coalesces rapid config edits of one node into one undo step', () => {
    const now = { t: 0 };
    const s = make(now);
    s.updateConfig('b', { fields: [{ name: 'a', value: '1' }] });
    now.t += 200;
    s.updateConfig('b', { fields: [{ name: 'ab', value: '1' }] });
    now.t += 5000;
    s.updateConfig('b', { fields: [{ name: 'abc', value: '1' }] });
    s.undo();
    expect(s.getState().document.nodes[1].config).toEqual({ fields: [{ name: 'ab', value: '1' }] });
    s.undo();
    expect(s.getState().document.nodes[1].config).toEqual({});
  });

  it('records a drag as one undo step', () => {
    const s = make();
    s.moveNodes([{ id: 'a', position: { x: 5, y: 5 } }], true);
    s.moveNodes([{ id: 'a', position: { x: 50, y: 50 } }], true);
    s.moveNodes([{ id: 'a', position: { x: 100, y: 90 } }], false);
    expect(s.getState().document.nodes[0].position).toEqual({ x: 100, y: 90 });
    s.undo();
    expect(s.getState().document.nodes[0].position).toEqual({ x: 0, y: 0 });
  });

  it('does not record a click (a move to the same place) as an edit', () => {
    const s = make();
    s.moveNodes([{ id: 'a', position: { x: 0, y: 0 } }], true);
    s.moveNodes([{ id: 'a', position: { x: 0.2, y: 0 } }], false);
    expect(s.getState().canUndo).toBe(false);
    expect(s.isDirty).toBe(false);
  });

  describe('undo/redo restores the selection that went with each state', () => {
    const sel = (s: DocumentStore) => s.getState().selection;

    it('re-selects deleted nodes on undo and leaves nothing selected on redo', () => {
      const s = make();
      s.select({ nodes: ['b'], edges: ['e1'] });
      s.deleteSelection();
      expect(sel(s)).toEqual({ nodes: [], edges: [], notes: [] });
      s.select({ nodes: ['a'] }); // clicking elsewhere afterwards does not change what undo restores
      s.undo();
      expect(s.getState().document.nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
      expect(sel(s)).toEqual({ nodes: ['b'], edges: ['e1'], notes: [] });
      s.redo();
      expect(s.getState().document.nodes.map((n) => n.id)).toEqual(['a', 'c']);
      expect(sel(s)).toEqual({ nodes: [], edges: [], notes: [] });
      s.undo();
      expect(sel(s).nodes).toEqual(['b']);
    });

    it('keeps the dragged nodes selected when a move is undone and redone', () => {
      const s = make();
      s.select({ nodes: ['a', 'c'] });
      s.moveNodes([{ id: 'a', position: { x: 5, y: 5 } }, { id: 'c', position: { x: 405, y: 5 } }], true);
      s.moveNodes([{ id: 'a', position: { x: 50, y: 50 } }, { id: 'c', position: { x: 450, y: 50 } }], false);
      s.select({});
      s.undo();
      expect(s.getState().document.nodes[0].position).toEqual({ x: 0, y: 0 });
      expect(sel(s).nodes).toEqual(['a', 'c']);
      s.select({ nodes: ['b'] });
      s.redo();
      expect(s.getState().document.nodes[0].position).toEqual({ x: 50, y: 50 });
      expect(sel(s).nodes).toEqual(['a', 'c']);
    });

    it('restores the selection around an added or pasted node', () => {
      const s = make();
      s.select({ nodes: ['c'] });
      const id = s.addNode('logic.if', { x: 600, y: 0 })!;
      expect(sel(s).nodes).toEqual([id]);
      s.undo();
      expect(sel(s).nodes).toEqual(['c']);
      s.redo();
      expect(sel(s).nodes).toEqual([id]);
      const pasted = s.paste(s.copy({ nodes: ['a', 'b'] }));
      s.select({});
      s.undo();
      expect(sel(s).nodes).toEqual([id]);
      s.redo();
      expect(sel(s).nodes).toEqual(pasted);
    });

    it('takes the selection of the last edit of a coalesced step', () => {
      const now = { t: 0 };
      const s = make(now);
      s.select({ nodes: ['b'] });
      s.updateConfig('b', { fields: [{ name: 'a', value: '1' }] });
      now.t += 200;
      s.updateConfig('b', { fields: [{ name: 'ab', value: '1' }] });
      s.select({ nodes: ['a'] });
      s.undo();
      expect(s.getState().document.nodes[1].config).toEqual({});
      expect(sel(s).nodes).toEqual(['b']);
      s.select({});
      s.redo();
      expect(sel(s).nodes).toEqual(['b']);
    });

    it('drops ids that do not exist in the restored document', () => {
      const s = make();
      s.select({ nodes: ['a'] });
      s.removeElements({ nodes: ['c'] });
      s.removeElements({ nodes: ['a'] });
      s.undo();
      expect(sel(s).nodes).toEqual(['a']);
      s.undo();
      expect(sel(s).nodes).toEqual(['a']);
      expect(s.getState().document.nodes).toHaveLength(3);
      s.redo();
      s.redo();
      expect(sel(s)).toEqual({ nodes: [], edges: [], notes: [] });
    });
  });

  it('validates connections and refuses cycles with a reason', () => {
    const s = make();
    const bad = s.connect({ source: 'c', sourceHandle: 'true', target: 'b', targetHandle: 'main' });
    expect(bad.ok).toBe(false);
    expect(s.getState().document.edges).toHaveLength(2);
    const good = s.connect({ source: 'a', sourceHandle: 'main', target: 'c', targetHandle: 'main' });
    expect(good.ok).toBe(true);
    expect(s.getState().document.edges).toHaveLength(3);
  });

  it('pastes with new ids and an offset, also from another flow', () => {
    const other = make();
    const text = serializeClipboard(copySelection(other.getState().document, ['a', 'b']));
    const s = make();
    const ids = s.paste(parseClipboard(text)!);
    expect(ids).toHaveLength(2);
    const d = s.getState().document;
    expect(d.nodes).toHaveLength(5);
    expect(new Set(d.nodes.map((n) => n.id)).size).toBe(5);
    const pasted = d.nodes.filter((n) => ids.includes(n.id));
    expect(pasted[0].position).toEqual({ x: 40, y: 40 });
    const pe = d.edges.filter((e) => ids.includes(e.source));
    expect(pe).toHaveLength(1);
    expect(pe[0].target).toBe(ids[1]);
    expect(s.getState().selection.nodes).toEqual(ids);
    s.undo();
    expect(s.getState().document.nodes).toHaveLength(3);
  });

  it('pastes at a position and duplicates', () => {
    const s = make();
    const ids = s.paste(s.copy({ nodes: ['b', 'c'] }), { x: 1000, y: 500 });
    const pasted = s.getState().document.nodes.filter((n) => ids.includes(n.id));
    expect(pasted.map((n) => n.position)).toEqual([{ x: 1000, y: 500 }, { x: 1200, y: 500 }]);
    const dup = s.duplicate({ nodes: ['a'] });
    expect(dup).toHaveLength(1);
    expect(s.getState().document.nodes).toHaveLength(6);
  });

  it('imports a document as an undoable edit and refuses junk', () => {
    const s = make();
    s.importDocument({ nodes: [{ id: 'z', type: 'trigger.manual', position: { x: 1, y: 2 } }], edges: [] });
    expect(s.getState().document.nodes.map((n) => n.label)).toEqual(['trigger.manual']);
    expect(() => s.importDocument({ foo: 1 })).toThrow(/Not a flow document/);
    s.undo();
    expect(s.getState().document.nodes).toHaveLength(3);
  });

  it('tracks the save cycle including edits made during a save', () => {
    const s = make();
    s.renameNode('a', 'Go');
    const sent = s.beginSave();
    expect(s.getState().save.status).toBe('saving');
    s.renameNode('b', 'Later');
    s.saveSucceeded({ revision: 4, saved_at: 'now', saved_by: 'me', findings: [finding({ node_id: 'c', message: 'bad' })] }, sent.version);
    expect(s.getState().save.revision).toBe(4);
    expect(s.getState().save.status).toBe('dirty');
    expect(s.isDirty).toBe(true);
    expect(s.getState().findings).toHaveLength(1);
    const again = s.beginSave();
    s.saveSucceeded({ revision: 5, saved_at: 'now', saved_by: 'me', findings: [] }, again.version);
    expect(s.getState().save.status).toBe('saved');
    expect(s.isDirty).toBe(false);
  });

  it('takes server updates through the same path and keeps a conflict until resolved', () => {
    const s = make();
    s.renameNode('a', 'Mine');
    s.beginSave();
    s.saveConflict({ detail: 'stale', saved_by: 'bo', saved_at: 'then', revision: 9 });
    expect(s.getState().save.status).toBe('conflict');
    s.renameNode('a', 'Mine 2');
    expect(s.getState().save.status).toBe('conflict');
    const theirs = doc();
    theirs.nodes[0].label = 'Theirs';
    s.serverUpdate(theirs, 9, { savedBy: 'bo' });
    expect(s.getState().document.nodes[0].label).toBe('Theirs');
    expect(s.getState().save).toMatchObject({ status: 'clean', revision: 9, conflict: null });
    expect(s.isDirty).toBe(false);
    expect(s.getState().canUndo).toBe(false);
  });

  it('refuses local edits when read-only', () => {
    const s = new DocumentStore({ types: TYPES, readOnly: true });
    s.load(flow());
    s.renameNode('a', 'x');
    s.removeElements({ nodes: ['a'] });
    expect(s.getState().document.nodes[0].label).toBe('Start');
    expect(s.getState().document.nodes).toHaveLength(3);
  });

  it('applies run snapshots and events in seq order, ignoring replays', () => {
    const s = make();
    s.runStarted(11);
    const snap: RunDetail = runDetail({
      id: 11, flow: 7, last_seq: 2, node_runs: [nodeRun({ node_id: 'a', output_counts: { main: 2 }, duration_ms: 5 })],
    });
    s.runSnapshot(snap, 2);
    expect(s.getState().run?.nodes.a.output_counts).toEqual({ main: 2 });
    s.runEvents([
      { seq: 3, type: 'run.started', node_id: '', payload: {}, at: '' },
    ]);
    expect(s.getState().run?.status).toBe('running');
    s.runEvents([
      { seq: 4, type: 'node.succeeded', node_id: 'b', payload: { output_counts: { main: 2 }, duration_ms: 3 }, at: '' },
      { seq: 3, type: 'node.started', node_id: 'b', payload: {}, at: '' },
      { seq: 2, type: 'node.failed', node_id: 'a', payload: {}, at: '' },
    ]);
    const run = s.getState().run!;
    expect(run.lastSeq).toBe(4);
    expect(run.nodes.a.status).toBe('succeeded');
    expect(run.nodes.b).toMatchObject({ status: 'succeeded', output_counts: { main: 2 } });
    s.runEvents([{ seq: 5, type: 'node.failed', node_id: 'c', payload: { error: { message: 'boom', hint: 'check' } }, at: '' }, { seq: 6, type: 'run.failed', node_id: '', payload: {}, at: '' }]);
    expect(s.getState().run!.nodes.c.error).toEqual({ message: 'boom', hint: 'check' });
    expect(s.getState().run!.status).toBe('failed');
    // A run event does not touch the document or history.
    expect(s.getState().canUndo).toBe(false);
  });

  it('lays out the graph as one undoable step', () => {
    const s = make();
    s.moveNodes([{ id: 'c', position: { x: -500, y: 300 } }], false);
    s.autoLayout();
    const [a, b, c] = s.getState().document.nodes;
    expect(a.position.x).toBeLessThan(b.position.x);
    expect(b.position.x).toBeLessThan(c.position.x);
    s.undo();
    expect(s.getState().document.nodes[2].position).toEqual({ x: -500, y: 300 });
  });

  it('drops error-port edges when on_error is switched off', () => {
    const s = make();
    s.updateNode('b', { on_error: 'error_port' });
    expect(s.connect({ source: 'b', sourceHandle: 'error', target: 'c', targetHandle: 'main' }).ok).toBe(true);
    expect(s.getState().document.edges).toHaveLength(3);
    s.updateNode('b', { on_error: 'fail' });
    expect(s.getState().document.edges.map((e) => e.source_port)).toEqual(['main', 'main']);
  });
});
