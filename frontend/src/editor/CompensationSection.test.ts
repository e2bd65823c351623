import { describe, expect, it } from 'vitest';
import { parseUndoConfig, undoCandidates } from './CompensationSection';
import { TYPES } from '../test-fixtures';

describe('parseUndoConfig', () => {
  it('accepts a JSON object and an empty field', () => {
    expect(parseUndoConfig('{"record_id": "{{ $item.id }}"}').config).toEqual({ record_id: '{{ $item.id }}' });
    expect(parseUndoConfig('  ').config).toEqual({});
  });
  it('refuses broken JSON and non-objects with a message instead of saving them', () => {
    expect(parseUndoConfig('{"a":').error).toMatch(/Not valid JSON/);
    expect(parseUndoConfig('[1]').error).toMatch(/JSON object/);
    expect(parseUndoConfig('[1]').config).toBeUndefined();
  });
});

describe('undoCandidates', () => {
  it('offers only actions with side effects, never triggers', () => {
    const types = [
      ...TYPES,
      { ...TYPES[1], type: 'erp.delete', label: 'Delete record', side_effects: true },
      { ...TYPES[0], type: 'trigger.poll', label: 'Poll', side_effects: true, is_trigger: true },
    ];
    expect(undoCandidates(types).map((t) => t.type)).toEqual(['erp.delete']);
  });
});
