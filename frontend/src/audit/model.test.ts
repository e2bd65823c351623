import { describe, expect, it } from 'vitest';
import { auditQuery } from '../api/audit';
import { changes } from './model';

describe('audit model', () => {
  it('lists the fields that changed, were added or removed', () => {
    const rows = changes({ name: 'A', tags: ['x'], keep: 1 }, { name: 'B', keep: 1, criticality: 'high' });
    expect(rows).toEqual([
      { field: 'criticality', old: '', new: '"high"', kind: 'added' },
      { field: 'name', old: '"A"', new: '"B"', kind: 'changed' },
      { field: 'tags', old: '["x"]', new: '', kind: 'removed' },
    ]);
    expect(changes(null, { version: 2 })).toEqual([{ field: 'version', old: '', new: '2', kind: 'added' }]);
    expect(changes({ a: 1 }, { a: 1 })).toEqual([]);
  });
  it('builds the query without empty filters, actions comma-separated', () => {
    expect(auditQuery({ actor: '', action: 'flow.publish,run.', organisation: 3 }).toString()).toBe(
      'action=flow.publish%2Crun.&organisation=3',
    );
  });
});
