import { describe, expect, it } from 'vitest';
import { checkConnection, findCycle, outputPorts, wouldCreateCycle } from './connections';
import { copySelection, parseClipboard, prepareForPaste, serializeClipboard } from './clipboard';
import { edgeId, newId } from './ids';
import { layoutPositions, NODE_H, NODE_W } from './layout';
import { TYPES, doc } from '../test-fixtures';

const types = new Map(TYPES.map((t) => [t.type, t]));

describe('cycle detection', () => {
  it('sees a cycle when the target already reaches the source', () => {
    const edges = [{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }];
    expect(wouldCreateCycle(edges, 'c', 'a')).toBe(true);
    expect(wouldCreateCycle(edges, 'a', 'c')).toBe(false);
    expect(wouldCreateCycle(edges, 'a', 'a')).toBe(true);
  });
  it('names the cycle', () => {
    const nodes = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(findCycle(nodes, [{ source: 'a', target: 'b' }])).toBeNull();
    expect(findCycle(nodes, [{ source: 'a', target: 'b' }, { source: 'b', target: 'c' }, { source: 'c', target: 'b' }])).toEqual(['b', 'c', 'b']);
  });
});

describe('checkConnection', () => {
  const d = doc();
  const check = (source: string, sh: string, target: string, th: string) =>
    checkConnection({ source, sourceHandle: sh, target, targetHandle: th }, d.nodes, d.edges, types);

  it('accepts a valid connection', () => {
    expect(check('a', 'main', 'c', 'main')).toEqual({ ok: true });
  });
  it('refuses a self-loop', () => {
    const r = check('b', 'main', 'b', 'main');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/itself/);
  });
  it('refuses a cycle with a reason', () => {
    const r = check('c', 'true', 'a', 'main');
    expect(!r.ok && r.reason).toMatch(/trigger/);
    const r2 = check('c', 'true', 'b', 'main');
    expect(!r2.ok && r2.reason).toMatch(/cycle/);
  });
  it('refuses the wrong direction and unknown ports', () => {
    expect(check('c', 'main', 'b', 'main').ok).toBe(false); // if has no "main" output
    const r = check('b', 'main', 'c', 'true');
    expect(!r.ok && r.reason).toMatch(/Wrong direction/);
  });
  it('refuses a second edge into a single-input port and duplicates', () => {
    const nodes = [...d.nodes, { id: 'm', type: 'logic.merge', label: 'Merge', position: { x: 0, y: 0 }, config: {} }];
    const edges = [...d.edges, { id: 'x', source: 'a', source_port: 'main', target: 'm', target_port: 'left' }];
    const r = checkConnection({ source: 'b', sourceHandle: 'main', target: 'm', targetHandle: 'left' }, nodes, edges, types);
    expect(!r.ok && r.reason).toMatch(/already connected/);
    const dup = checkConnection({ source: 'a', sourceHandle: 'main', target: 'b', targetHandle: 'main' }, nodes, edges, types);
    expect(!dup.ok && dup.reason).toMatch(/already connected/);
    expect(checkConnection({ source: 'b', sourceHandle: 'main', target: 'm', targetHandle: 'right' }, nodes, edges, types).ok).toBe(true);
  });
  it('allows the error port only when on_error is error_port', () => {
    const nodes = d.nodes.map((n) => (n.id === 'b' ? { ...n, on_error: 'error_port' as const } : n));
    expect(checkConnection({ source: 'b', sourceHandle: 'error', target: 'c', targetHandle: 'main' }, nodes, [], types).ok).toBe(true);
    expect(checkConnection({ source: 'b', sourceHandle: 'error', target: 'c', targetHandle: 'main' }, d.nodes, [], types).ok).toBe(false);
  });
});

describe('outputPorts', () => {
  it('derives switch ports from the config (x-output-ports)', () => {
    const sw = { ...TYPES[2], type: 'logic.switch', outputs: [{ name: 'fallback', label: 'Fallback' }], config_schema: { type: 'object', 'x-output-ports': { from: 'rules', name: 'port', label: 'label', then: ['fallback'] } } };
    const ports = outputPorts({ config: { rules: [{ port: 'big', label: 'Big deals' }, { condition: 'x' }] }, on_error: 'error_port' }, sw);
    expect(ports.map((p) => p.name)).toEqual(['big', 'case_1', 'fallback', 'error']);
    expect(ports[0].label).toBe('Big deals');
  });
});

describe('ids', () => {
  it('never collides with taken ids', () => {
    let i = 0;
    const seq = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    const rnd = () => seq[i++ % seq.length];
    const taken = new Set(['n_aaaaaa']);
    const id = newId('n_', taken, rnd);
    expect(id).not.toBe('n_aaaaaa');
    expect(taken.has(id)).toBe(true);
    const many = new Set<string>();
    for (let k = 0; k < 2000; k++) newId('n_', many);
    expect(many.size).toBe(2000);
  });
  it('derives edge ids from their ends', () => {
    expect(edgeId('a', 'true', 'b', 'main')).toBe('e_a.true-b.main');
  });
});

describe('clipboard', () => {
  it('round-trips the selection with inner edges only', () => {
    const clip = copySelection(doc(), ['a', 'b']);
    expect(clip.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(clip.edges.map((e) => e.id)).toEqual(['e1']);
    const parsed = parseClipboard(serializeClipboard(clip));
    expect(parsed).toEqual(clip);
  });
  it('rejects plain text and malformed nodes', () => {
    expect(parseClipboard('hello')).toBeNull();
    expect(parseClipboard('{"nodes": [{"id": 1}]}')).toBeNull();
    expect(parseClipboard('[1,2]')).toBeNull();
  });
  it('accepts a whole document or an export wrapper', () => {
    expect(parseClipboard(JSON.stringify({ document: doc() }))?.nodes).toHaveLength(3);
  });
  it('gives new ids and an offset, re-pointing edges', () => {
    const clip = copySelection(doc(), ['a', 'b']);
    const taken = new Set(['a', 'b', 'c']);
    const out = prepareForPaste(clip, taken, { x: 10, y: 20 });
    expect(out.nodes.every((n) => !taken.has(n.id))).toBe(true);
    expect(out.nodes[1].position).toEqual({ x: 210, y: 20 });
    expect(out.edges[0].source).toBe(out.idMap.get('a'));
    expect(out.edges[0].target).toBe(out.idMap.get('b'));
  });
});

describe('layout', () => {
  it('orders nodes left to right along edges', () => {
    const d = doc();
    const pos = layoutPositions(d.nodes, d.edges);
    expect(pos.a.x).toBeLessThan(pos.b.x);
    expect(pos.b.x).toBeLessThan(pos.c.x);
  });
  it('keeps a group together: no other node lands inside its box', () => {
    // a -> b -> c -> d with a and d grouped: laid out flat, b and c would sit inside the group's box.
    const nodes = ['a', 'b', 'c', 'd'].map((id) => ({ id }));
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'c', target: 'd' },
    ];
    const boxOf = (pos: Record<string, { x: number; y: number }>, ids: string[]) => ({
      left: Math.min(...ids.map((id) => pos[id].x)),
      right: Math.max(...ids.map((id) => pos[id].x + NODE_W)),
      top: Math.min(...ids.map((id) => pos[id].y)),
      bottom: Math.max(...ids.map((id) => pos[id].y + NODE_H)),
    });
    const inside = (pos: Record<string, { x: number; y: number }>) => {
      const group = boxOf(pos, ['a', 'd']);
      return ['b', 'c'].filter((id) => {
        const n = boxOf(pos, [id]);
        return n.left < group.right && n.right > group.left && n.top < group.bottom && n.bottom > group.top;
      });
    };
    expect(inside(layoutPositions(nodes, edges))).toEqual(['b', 'c']); // the problem, without groups
    expect(inside(layoutPositions(nodes, edges, {}, {}, [{ id: 'g1', nodes: ['a', 'd'] }]))).toEqual([]);
  });
  it('puts branches on different rows', () => {
    const nodes = [{ id: 'r' }, { id: 'x' }, { id: 'y' }];
    const pos = layoutPositions(nodes, [{ source: 'r', target: 'x' }, { source: 'r', target: 'y' }]);
    expect(pos.x.x).toBe(pos.y.x);
    expect(pos.x.y).not.toBe(pos.y.y);
  });
});
