import { describe, expect, it } from 'vitest';
import { cellText, columnsOf, decideBlocked, dueText, editLine } from './model';

describe('approvals model', () => {
  it('uses the chosen columns, else the first keys of the lines', () => {
    expect(columnsOf({ columns: ['a'], items: [{ a: 1, b: 2 }], editable_fields: [] })).toEqual(['a']);
    expect(columnsOf({ columns: [], items: [{ a: 1 }, { b: 2 }], editable_fields: [] })).toEqual(['a', 'b']);
  });
  it('always shows the editable fields, so an approver can edit them', () => {
    expect(columnsOf({ columns: ['total'], items: [{ total: 1, memo: '' }], editable_fields: ['memo'] })).toEqual(['total', 'memo']);
    expect(columnsOf({ columns: ['memo', 'total'], items: [], editable_fields: ['memo'] })).toEqual(['memo', 'total']);
  });
  it('edits one field of one line and keeps numbers numeric', () => {
    const items = [{ amount: 10, note: 'x' }, { amount: 5, note: 'y' }];
    expect(editLine(items, 0, 'amount', '12.5')).toEqual([{ amount: 12.5, note: 'x' }, { amount: 5, note: 'y' }]);
    expect(editLine(items, 1, 'note', 'z')[1]).toEqual({ amount: 5, note: 'z' });
    expect(items[0].amount).toBe(10);
  });
  it('says who may decide when the user may not', () => {
    const base = { status: 'pending' as const, assignee_roles: ['approver'], assignee_users: ['boss'] };
    expect(decideBlocked({ ...base, can_decide: true })).toBeNull();
    expect(decideBlocked({ ...base, can_decide: false })).toBe('Only approvers, boss may decide this approval.');
    expect(decideBlocked({ ...base, status: 'timed_out', can_decide: true })).toBe('Already timed out.');
  });
  it('formats cells and deadlines', () => {
    expect(cellText(1234.567)).toMatch(/1.?234.57/);
    expect(cellText(null)).toBe('');
    expect(dueText(null)).toBe('no deadline');
    expect(dueText(new Date(Date.now() + 3 * 3_600_000 + 1000).toISOString())).toBe('due in 3 h');
    expect(dueText(new Date(Date.now() - 1000).toISOString())).toBe('overdue');
  });
});
