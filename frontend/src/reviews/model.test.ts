import { describe, expect, it } from 'vitest';
import { assignable, assigneesText, decideBlocked, originText, stateLabel } from './model';

describe('reviews model', () => {
  it('blocks a person who may not decide, only while in review', () => {
    expect(decideBlocked({ state: 'in_review', can_decide: false })).toMatch(/another person/);
    expect(decideBlocked({ state: 'in_review', can_decide: true })).toBeNull();
    expect(decideBlocked({ state: 'rejected', can_decide: false })).toBeNull();
  });
  it('says what the version is', () => {
    expect(originText({ review_origin: 'rollback', rollback_of: 1, number: 3, live_version: 2 })).toBe('Rollback to v1 as v3 · live is v2');
    expect(originText({ review_origin: 'template', rollback_of: null, number: 1, live_version: null })).toBe('Template rollout as v1 · nothing is live yet');
    expect(stateLabel('in_review')).toBe('in review');
  });
  it('names the assignees, the viewer first as "you"', () => {
    const r = { assignees: [{ id: 2, username: 'zoe' }, { id: 1, username: 'ann' }, { id: 3, username: 'me' }] };
    expect(assigneesText(r, 'me')).toBe('you, ann, zoe');
    expect(assigneesText({ assignees: [] }, 'me')).toMatch(/any approver/);
  });
  it('offers active approvers and admins but the author', () => {
    const members = [
      { user: 1, username: 'ann', role: 'approver' as const, is_active: true },
      { user: 2, username: 'ben', role: 'builder' as const, is_active: true },
      { user: 3, username: 'cat', role: 'admin' as const, is_active: true },
      { user: 4, username: 'dan', role: 'approver' as const, is_active: false },
      { user: 5, username: 'eve', role: 'approver' as const, is_active: true },
    ];
    expect(assignable(members, 'eve')).toEqual([{ id: 1, username: 'ann' }, { id: 3, username: 'cat' }]);
  });
});
