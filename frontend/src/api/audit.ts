// The audit trail (flowbuilder/api/views/audit.py): filtered rows, export links, verifying the chain.
import { http, unwrap } from './client';
import type { components } from './schema';

export type AuditEvent = components['schemas']['AuditEvent'];
export type ChainReport = components['schemas']['ChainReport'];
export type AuditFilters = {
  organisation?: number;
  actor?: string;
  /** Comma-separated: exact actions, or a family ending in a dot (`flow.`). */
  action?: string;
  object_type?: string;
  object_id?: string;
  since?: string;
  until?: string;
};

/** The query string of the filters (empty values left out), shared by the list and the export link. */
export function auditQuery(f: AuditFilters): URLSearchParams {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === '' || v === null) continue;
    q.set(k, String(v));
  }
  return q;
}

export const auditApi = {
  list: (f: AuditFilters, limit = 100) =>
    unwrap(http.GET('/api/audit-events/', { params: { query: { ...f, limit } } })),
  verify: () => unwrap(http.POST('/api/audit-events/verify/', {})),
  exportUrl: (f: AuditFilters, as: 'csv' | 'json') => {
    const q = auditQuery(f);
    q.set('as', as);
    return `/api/audit-events/export/?${q.toString()}`;
  },
};
