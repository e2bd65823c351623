import { describe, expect, it } from 'vitest';
import { changedPins } from './pinSync';

describe('changedPins', () => {
  it('puts new and replaced pins and removes dropped ones', () => {
    const a = [{ n: 1 }];
    const before = { x: a, y: [{ n: 2 }] };
    const after = { x: a, z: [{ n: 3 }] };
    expect(changedPins(before, after)).toEqual({ put: [['z', [{ n: 3 }]]], remove: ['y'] });
    const replaced = { x: [{ n: 9 }] };
    expect(changedPins({ x: a }, replaced)).toEqual({ put: [['x', [{ n: 9 }]]], remove: [] });
    expect(changedPins(before, before)).toEqual({ put: [], remove: [] });
  });
});
