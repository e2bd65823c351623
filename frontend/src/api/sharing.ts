// Sharing one flow or connection with a person or a role beyond their defaults, and who has access
// (flowbuilder/api/views/sharing.py; django-guardian object permissions behind it).
import { byId, http, unwrap } from './client';
import type { Access, ShareBody, ShareTargetBody } from './types';

export type Shareable = 'flow' | 'connection';

export const sharingApi = {
  access: (kind: Shareable, id: number): Promise<Access> =>
    kind === 'flow'
      ? unwrap(http.GET('/api/flows/{id}/access/', byId(id)))
      : unwrap(http.GET('/api/connections/{id}/access/', byId(id))),
  share: (kind: Shareable, id: number, body: ShareBody): Promise<Access> =>
    kind === 'flow'
      ? unwrap(http.POST('/api/flows/{id}/share/', { ...byId(id), body }))
      : unwrap(http.POST('/api/connections/{id}/share/', { ...byId(id), body })),
  unshare: (kind: Shareable, id: number, body: ShareTargetBody): Promise<Access> =>
    kind === 'flow'
      ? unwrap(http.POST('/api/flows/{id}/unshare/', { ...byId(id), body }))
      : unwrap(http.POST('/api/connections/{id}/unshare/', { ...byId(id), body })),
};
