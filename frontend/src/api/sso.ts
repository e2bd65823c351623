// An organisation's OpenID Connect single sign-on (flowbuilder/api/views/tenancy.py, action `sso`).
import { byId, http, unwrap, ApiError } from './client';
import type { SsoSettings, SsoSettingsBody } from './types';

export const ssoApi = {
  /** The settings, or null while the organisation has none (404). */
  get: async (organisation: number): Promise<SsoSettings | null> => {
    try {
      return await unwrap(http.GET('/api/organisations/{id}/sso/', byId(organisation)));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  save: (organisation: number, body: SsoSettingsBody) =>
    unwrap(http.PUT('/api/organisations/{id}/sso/', { ...byId(organisation), body })),
  remove: (organisation: number) => unwrap(http.DELETE('/api/organisations/{id}/sso/', byId(organisation))),
};
