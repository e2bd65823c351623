// The partner area: customers (overview, memberships, invitations), branding, templates and the customer
// copies made from them (flowbuilder/api/views/{tenancy,templates}.py).
import { byId, http, rows, unwrap } from './client';
import type { BrandingSettings, CloneTarget, Resolutions, Role, TemplateParameterInput, TemplateVersion } from './types';

export const partnerApi = {
  organisations: async () => rows(await unwrap(http.GET('/api/organisations/', { params: { query: { limit: 1000 } } }))),
  overview: (partner: number) => unwrap(http.GET('/api/organisations/{id}/overview/', byId(partner))),
  createCustomer: (partner: number, name: string) =>
    unwrap(http.POST('/api/organisations/{id}/customers/', { ...byId(partner), body: { name } })),
  invite: (organisation: number, email: string, role: Role) =>
    unwrap(http.POST('/api/organisations/{id}/invite/', { ...byId(organisation), body: { email, role } })),
  members: async (organisation: number) =>
    rows(await unwrap(http.GET('/api/memberships/', { params: { query: { organisation, limit: 1000 } } }))),
  setRole: (organisation: number, username: string, role: Role) =>
    unwrap(http.POST('/api/memberships/', { body: { organisation, username, role } })),
  removeMember: (id: number) => unwrap(http.DELETE('/api/memberships/{id}/', byId(id))),
  branding: (organisation: number) => unwrap(http.GET('/api/organisations/{id}/branding/', byId(organisation))),
  saveBranding: (organisation: number, body: BrandingSettings) =>
    unwrap(http.PUT('/api/organisations/{id}/branding/', { ...byId(organisation), body })),

  templates: async (organisation: number) =>
    rows(await unwrap(http.GET('/api/templates/', { params: { query: { organisation, limit: 1000 } } }))),
  template: (id: number | string) => unwrap(http.GET('/api/templates/{id}/', byId(id))),
  createTemplate: (body: { organisation: number; name: string; description?: string; category?: string; source_flow?: number | null }) =>
    unwrap(http.POST('/api/templates/', { body })),
  versions: (id: number | string) => unwrap(http.GET('/api/templates/{id}/versions/', byId(id))),
  publishVersion: (id: number | string, body: { source: 'draft' | 'published'; parameters: TemplateParameterInput[]; changelog: string }) =>
    unwrap(http.POST('/api/templates/{id}/versions/', { ...byId(id), body })) as Promise<TemplateVersion>,
  instances: (id: number | string) => unwrap(http.GET('/api/templates/{id}/instances/', byId(id))),
  allInstances: async () => rows(await unwrap(http.GET('/api/template-instances/', { params: { query: { limit: 5000 } } }))),
  /** 201 when any customer was cloned; a clone that created nothing answers 400 with the same results. */
  clone: async (id: number | string, body: { version?: number | null; customers: CloneTarget[] }) => {
    const answer = await unwrap(http.POST('/api/templates/{id}/clone/', { ...byId(id), body }));
    if ('dry_run' in answer) throw new Error('The server checked instead of cloning.');
    return answer;
  },
  dryRunClone: async (id: number | string, body: { version?: number | null; customers: CloneTarget[] }) => {
    const answer = await unwrap(http.POST('/api/templates/{id}/clone/', { ...byId(id), body: { ...body, dry_run: true } }));
    if (!('dry_run' in answer)) throw new Error('The server cloned instead of checking (dry_run was ignored).');
    return answer;
  },
  previewUpgrade: (id: number | string, version: number, instances: number[]) =>
    unwrap(http.POST('/api/templates/{id}/preview-upgrade/', { ...byId(id), body: { version, instances } })),
  upgrade: (id: number | string, version: number, instances: number[], resolutions: Resolutions) =>
    unwrap(http.POST('/api/templates/{id}/upgrade/', { ...byId(id), body: { version, instances, resolutions } })),
  drift: (id: number | string) => unwrap(http.GET('/api/templates/{id}/drift/', byId(id))),
  pin: (id: number) => unwrap(http.POST('/api/template-instances/{id}/pin/', byId(id))),
  unpin: (id: number) => unwrap(http.POST('/api/template-instances/{id}/unpin/', byId(id))),
  rollback: (id: number) => unwrap(http.POST('/api/template-instances/{id}/rollback/', byId(id))),
};
