import { describe, expect, it } from 'vitest';
import { decideBlocked, originText, stateLabel } from './model';

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
});
