// Pure helpers of the reviews page (tested in model.test.ts).
import type { Review } from '../api/reviews';
import type { Membership } from '../api/types';

/** Why this person cannot decide a review, or null when they can. */
export function decideBlocked(r: Pick<Review, 'state' | 'can_decide'>): string | null {
  if (r.state !== 'in_review') return null;
  if (!r.can_decide) return 'You wrote this version or are not an approver here: another person decides it.';
  return null;
}

/** One line saying what the version is: a publish, a rollback or a template rollout. */
export function originText(r: Pick<Review, 'review_origin' | 'rollback_of' | 'number' | 'live_version'>): string {
  const live = r.live_version ? `live is v${r.live_version}` : 'nothing is live yet';
  if (r.review_origin === 'rollback') return `Rollback to v${r.rollback_of} as v${r.number} · ${live}`;
  if (r.review_origin === 'template') return `Template rollout as v${r.number} · ${live}`;
  return `v${r.number} · ${live}`;
}

export function stateLabel(state: Review['state']): string {
  return state === 'in_review' ? 'in review' : state;
}

/** Who is asked to decide, with the viewer named "you" (first). */
export function assigneesText(r: Pick<Review, 'assignees'>, me: string): string {
  const names = r.assignees.map((a) => (a.username === me ? 'you' : a.username));
  names.sort((a, b) => (a === 'you' ? -1 : b === 'you' ? 1 : a.localeCompare(b)));
  return names.length ? names.join(', ') : 'nobody yet (any approver may decide)';
}

/** The members who may be assigned a review: active approvers and admins, never the author. */
export function assignable(members: Pick<Membership, 'user' | 'username' | 'role' | 'is_active'>[], author: string | null): { id: number; username: string }[] {
  return members
    .filter((m) => m.is_active && (m.role === 'approver' || m.role === 'admin') && m.username !== author)
    .map((m) => ({ id: m.user, username: m.username }))
    .sort((a, b) => a.username.localeCompare(b.username));
}
