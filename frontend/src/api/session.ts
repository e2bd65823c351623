// The signed-in user and their organisations; signing out (flowbuilder/api/views/tenancy.py).
import { http, unwrap } from './client';

export const sessionApi = {
  me: () => unwrap(http.GET('/api/me/')),
  logout: () => unwrap(http.POST('/api/auth/logout/')),
};
