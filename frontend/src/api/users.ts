// The people of the organisations an admin administers (flowbuilder/api/views/users.py and the membership
// actions of flowbuilder/api/views/tenancy.py): invite, change a role, deactivate, reactivate, unlock.
import { byId, http, rows, unwrap } from './client';
import type { Role } from './types';

export const usersApi = {
  /** Everyone with a membership in `organisation` (one page of up to 500). */
  list: async (organisation: number) =>
    rows(await unwrap(http.GET('/api/users/', { params: { query: { organisation, limit: 500 } } }))),
  /** A set-password link by e-mail, and the role in `organisation`. */
  invite: (organisation: number, email: string, role: Role) =>
    unwrap(http.POST('/api/organisations/{id}/invite/', { ...byId(organisation), body: { email, role } })),
  setRole: (membership: number, role: Role) =>
    unwrap(http.PATCH('/api/memberships/{id}/', { ...byId(membership), body: { role } })),
  deactivate: (membership: number) => unwrap(http.POST('/api/memberships/{id}/deactivate/', byId(membership))),
  reactivate: (membership: number) => unwrap(http.POST('/api/memberships/{id}/reactivate/', byId(membership))),
  /** Ends a sign-in lockout now. */
  unlock: (user: number) => unwrap(http.POST('/api/users/{id}/unlock/', byId(user))),
};
