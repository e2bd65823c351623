// Operational intelligence (flowbuilder/api/views/insights.py): dashboards, SLA policies and evaluations,
// the business calendar and systems, KPIs and their drill-down, reconciliation policies and reports, and
// the business trace. A partner organisation's lists cover all its customers (no organisation filter).
import { byId, http, unwrap } from './client';
import type { components } from './schema';

type S = components['schemas'];
export type Dashboard = S['DashboardShape'];
export type DashboardRange = S['RangeEnum'];
export type Trace = S['TraceShape'];
export type SlaPolicy = S['SlaPolicy'];
export type SlaPolicyInput = S['SlaPolicyWriteRequest'];
export type SlaEvaluation = S['SlaEvaluation'];
export type BusinessCalendar = S['BusinessCalendar'];
export type BusinessSystems = S['BusinessSystems'];
export type Kpi = S['Kpi'];
export type KpiInput = S['KpiRequest'];
export type KpiValueDetail = S['KpiValueDetail'];
export type ReconciliationPolicy = S['ReconciliationPolicy'];
export type ReconciliationPolicyInput = S['ReconciliationPolicyRequest'];
export type ReconciliationReport = S['ReconciliationReport'];
export type ReconciliationReportDetail = S['ReconciliationReportDetail'];

/** `?organisation=` for a customer; nothing for a partner (its lists cover its customers). */
const scope = (organisation: number | null) => (organisation === null ? {} : { organisation });

export const insightsApi = {
  dashboard: (organisation: number, range: DashboardRange, flow?: number) =>
    unwrap(http.GET('/api/dashboards/', { params: { query: { organisation, range, ...(flow ? { flow } : {}) } } })),
  trace: (q: string, organisation?: number, system?: string) =>
    unwrap(
      http.GET('/api/trace/', {
        params: { query: { q, ...(organisation ? { organisation } : {}), ...(system ? { system } : {}) } },
      }),
    ),

  slaPolicies: (organisation: number | null) =>
    unwrap(http.GET('/api/sla-policies/', { params: { query: { ...scope(organisation), limit: 200 } } })),
  createSla: (body: SlaPolicyInput) => unwrap(http.POST('/api/sla-policies/', { body })),
  updateSla: (id: number, body: Partial<SlaPolicyInput>) =>
    unwrap(http.PATCH('/api/sla-policies/{id}/', { ...byId(id), body })),
  deleteSla: (id: number) => unwrap(http.DELETE('/api/sla-policies/{id}/', byId(id))),
  slaEvaluations: (organisation: number | null, status?: 'pending' | 'met' | 'breached') =>
    unwrap(
      http.GET('/api/sla-evaluations/', {
        params: { query: { ...scope(organisation), ...(status ? { status } : {}), limit: 100 } },
      }),
    ),
  calendars: (organisation: number | null) =>
    unwrap(http.GET('/api/business-calendars/', { params: { query: { ...scope(organisation), limit: 200 } } })),
  saveCalendar: (body: S['BusinessCalendarRequest']) => unwrap(http.POST('/api/business-calendars/', { body })),

  systems: (organisation: number | null) =>
    unwrap(http.GET('/api/business-systems/', { params: { query: { ...scope(organisation), limit: 200 } } })),
  saveSystems: (body: S['BusinessSystemsRequest']) => unwrap(http.POST('/api/business-systems/', { body })),
  refreshSystems: (id: number) => unwrap(http.POST('/api/business-systems/{id}/refresh/', byId(id))),

  kpis: (organisation: number | null) =>
    unwrap(http.GET('/api/kpis/', { params: { query: { ...scope(organisation), limit: 200 } } })),
  createKpi: (body: KpiInput) => unwrap(http.POST('/api/kpis/', { body })),
  updateKpi: (id: number, body: Partial<KpiInput>) => unwrap(http.PATCH('/api/kpis/{id}/', { ...byId(id), body })),
  deleteKpi: (id: number) => unwrap(http.DELETE('/api/kpis/{id}/', byId(id))),
  kpiValue: (id: number) => unwrap(http.GET('/api/kpi-values/{id}/', byId(id))),
  kpiHistory: (definition: number) =>
    unwrap(http.GET('/api/kpi-values/', { params: { query: { definition, limit: 30 } } })),

  reconciliationPolicies: (organisation: number | null) =>
    unwrap(http.GET('/api/reconciliation-policies/', { params: { query: { ...scope(organisation), limit: 200 } } })),
  createReconciliation: (body: ReconciliationPolicyInput) => unwrap(http.POST('/api/reconciliation-policies/', { body })),
  runReconciliation: (id: number, periodStart?: string) =>
    unwrap(http.POST('/api/reconciliation-policies/{id}/run/', { ...byId(id), body: { period_start: periodStart || null } })),
  reports: (organisation: number | null, policy?: number) =>
    unwrap(
      http.GET('/api/reconciliation-reports/', {
        params: { query: { ...scope(organisation), ...(policy ? { policy } : {}), limit: 50 } },
      }),
    ),
  report: (id: number) => unwrap(http.GET('/api/reconciliation-reports/{id}/', byId(id))),
  fix: (id: number, differences?: number[]) =>
    unwrap(http.POST('/api/reconciliation-reports/{id}/fix/', { ...byId(id), body: { differences } })),
};
