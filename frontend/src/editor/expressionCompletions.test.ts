// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import type { DocEdge } from '../api/types';
import { JSONATA_FUNCTIONS, expressionOptions, upstreamSamples } from './expressionCompletions';

const e = (source: string, target: string): DocEdge => ({ id: `${source}-${target}`, source, source_port: 'main', target, target_port: 'main' });

describe('upstreamSamples', () => {
  it('walks every ancestor, nearest first, preferring pinned data to the last run', () => {
    const state = {
      document: { edges: [e('t', 'a'), e('a', 'b'), e('x', 'b')], nodes: [{ id: 't', label: 'Trigger' }, { id: 'a', label: 'Map' }, { id: 'x', label: 'No data' }] },
      pinned: { t: [{ Name: 'Acme' }] },
      run: { nodeRuns: { a: { output_items: { main: [{ name: 'Acme Ltd' }] } }, t: { output_items: { main: [{ Name: 'from run' }] } } } },
    } as unknown as Parameters<typeof upstreamSamples>[0];
    expect(upstreamSamples(state, 'b')).toEqual([
      { id: 'a', label: 'Map', source: 'run', item: { name: 'Acme Ltd' } },
      { id: 't', label: 'Trigger', source: 'pinned', item: { Name: 'Acme' } },
    ]);
  });
});

describe('expressionOptions', () => {
  it('offers $item fields, upstream outputs by node id, bindings and functions with signature and help', () => {
    const options = expressionOptions({
      paths: ['Account.Name'],
      upstream: [{ id: 'n-1', label: 'Won deals', source: 'pinned', item: { Id: '006' } }],
    });
    const labels = options.map((o) => o.label);
    expect(labels[0]).toBe('$item.Account.Name');
    expect(labels).toContain('$node.`n-1`.items[0].Id');
    expect(options.find((o) => o.label.startsWith('$node.'))?.detail).toBe('Won deals · pinned');
    expect(labels).toContain('$index');
    const sub = options.find((o) => o.label === '$substring')!;
    expect(sub.detail).toBe('(str, start, length?)');
    expect(sub.apply).toBe('$substring(');
    const info = (sub.info as () => HTMLElement)();
    expect(info.textContent).toContain('zero-based');
    expect(new Set(JSONATA_FUNCTIONS.map((f) => f.name)).size).toBe(JSONATA_FUNCTIONS.length);
  });
});
