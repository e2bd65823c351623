import { describe, expect, it } from 'vitest';
import { configChanged, userConfig } from './configDefaults';

// Issue 10, defect 8: selecting a node must not write the schema's defaults into its config.
const schema = {
  properties: {
    soql: { type: 'string' },
    timestamp_field: { type: 'string', default: 'SystemModstamp' },
    max_records: { type: 'integer', default: 2000 },
    notes: { type: 'string' },
    headers: { type: 'object', default: {} },
    paging: { type: 'object', properties: { size: { type: 'integer', default: 200 }, cursor: { type: 'string' } } },
  },
};

describe('userConfig', () => {
  it('drops what the form filled in on mount', () => {
    const stored = { soql: 'SELECT Id FROM Account' };
    const filled = { ...stored, timestamp_field: 'SystemModstamp', max_records: 2000, notes: '', headers: {}, paging: { size: 200 } };
    expect(userConfig(schema, stored, filled)).toEqual(stored);
    expect(configChanged(schema, stored, filled)).toBe(false);
  });

  it('keeps a value a person set, even one equal to the default once stored', () => {
    const stored = { soql: 'x' };
    expect(userConfig(schema, stored, { soql: 'x', max_records: 10 })).toEqual({ soql: 'x', max_records: 10 });
    expect(configChanged(schema, stored, { soql: 'x', max_records: 10 })).toBe(true);
    const explicit = { soql: 'x', max_records: 2000 };
    expect(userConfig(schema, explicit, { ...explicit, timestamp_field: 'SystemModstamp' })).toEqual(explicit);
  });

  it('keeps nested values a person set and drops nested defaults', () => {
    expect(userConfig(schema, {}, { paging: { size: 200, cursor: 'c1' } })).toEqual({ paging: { cursor: 'c1' } });
  });

  it('a cleared field counts as a change', () => {
    expect(configChanged(schema, { soql: 'x', notes: 'hi' }, { soql: 'x' })).toBe(true);
  });
});
