import { describe, expect, it } from 'vitest';
import type { NodeType } from '../api/types';
import { fittingTypes } from './addFromHandle';

const t = (type: string, inputs: number, outputs: number, category = 'Transform') =>
  ({
    type,
    label: type,
    category,
    inputs: Array.from({ length: inputs }, (_, i) => ({ name: `in${i}`, label: `in${i}` })),
    outputs: Array.from({ length: outputs }, (_, i) => ({ name: `out${i}`, label: `out${i}` })),
  }) as unknown as NodeType;

describe('fittingTypes', () => {
  const types = [t('trigger.manual', 0, 1, 'Trigger'), t('transform.map', 1, 1), t('flow.stop', 1, 0, 'Flow')];
  it('offers nodes with an input after an output, and nodes with an output before an input', () => {
    expect(fittingTypes(types, true, '').map((x) => x.type)).toEqual(['transform.map', 'flow.stop']);
    expect(fittingTypes(types, false, '').map((x) => x.type)).toEqual(['trigger.manual', 'transform.map']);
  });
  it('filters by label, type or category', () => {
    expect(fittingTypes(types, true, 'FLOW').map((x) => x.type)).toEqual(['flow.stop']);
    expect(fittingTypes(types, true, 'nothing')).toEqual([]);
  });
});
