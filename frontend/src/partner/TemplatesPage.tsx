// /partner/templates: the gallery (search, category filter, cards with the latest version and how many
// customers run each version) and "New template" from one of the partner's flows.
import { useCallback, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { flowsApi } from '../api/flows';
import { partnerApi } from '../api/partner';
import type { FlowSummary, Organisation, Template, TemplateInstance } from '../api/types';
import { useResource } from '../lib/useResource';
import { EmptyState, Skeleton } from '../ui/bits';
import { FormDialog } from '../ui/FormDialog';
import { ResourceState } from '../ui/ResourceState';
import { useToast } from '../ui/toast';
import { timeAgo } from '../lib/format';
import { categoriesOf, filterTemplates, MANAGE_ROLES, versionCounts } from './model';
import { fieldErrors, message, PartnerPage } from './shared';

function NewTemplateDialog({ partner, categories, onClose }: { partner: Organisation; categories: string[]; onClose: () => void }) {
  const navigate = useNavigate();
  const listed = useResource([partner.id], async () => (await flowsApi.list({ organisation: partner.id, limit: 500 })).results);
  const flows: FlowSummary[] | null = listed.data ?? (listed.error ? [] : null);
  const flowsError = listed.error ? message(listed.error) : null;
  const [flow, setFlow] = useState('');
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    const p: Record<string, string> = {};
    if (!flow) p.source_flow = 'Pick the flow the template is made from.';
    if (!name.trim()) p.name = 'Enter a name.';
    setErrors(p);
    if (Object.keys(p).length) return;
    setBusy(true);
    try {
      const t = await partnerApi.createTemplate({ organisation: partner.id, name: name.trim(), category: category.trim(), description, source_flow: Number(flow) });
      navigate(`/partner/templates/${t.id}?publish=1`);
    } catch (e) {
      setErrors(fieldErrors(e));
      setError(message(e));
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title="New template"
      onClose={onClose}
      onSubmit={submit}
      submitLabel="Create and publish…"
      busy={busy}
      busyLabel="Creating"
      error={error}
      testid="template-create-dialog"
      submitTestid="template-create-submit"
    >
      <label className="field">
        <span>Source flow (one of {partner.name}’s flows)</span>
        {!flows ? (
          <Skeleton rows={1} />
        ) : (
          <select value={flow} onChange={(e) => { setFlow(e.target.value); if (!name) setName(flows.find((f) => String(f.id) === e.target.value)?.name ?? ''); }} data-testid="template-create-flow" aria-invalid={errors.source_flow ? true : undefined}>
            <option value="">Pick a flow…</option>
            {flows.map((f) => (
              <option key={f.id} value={f.id}>
                {f.name}
              </option>
            ))}
          </select>
        )}
        {flowsError && <em className="conn-err">Flows could not be loaded: {flowsError}</em>}
        {flows && flows.length === 0 && !flowsError && <em className="muted small">{partner.name} has no flows yet: build one under Flows first.</em>}
        {errors.source_flow && <em className="conn-err">{errors.source_flow}</em>}
      </label>
      <label className="field">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} maxLength={200} data-testid="template-create-name" aria-invalid={errors.name ? true : undefined} />
        {errors.name && <em className="conn-err">{errors.name}</em>}
      </label>
      <label className="field">
        <span>Category</span>
        <input value={category} onChange={(e) => setCategory(e.target.value)} maxLength={100} list="template-categories" placeholder="e.g. CRM → PSA" data-testid="template-create-category" />
        <datalist id="template-categories">
          {categories.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
      </label>
      <label className="field">
        <span>Description</span>
        <textarea value={description} onChange={(e) => setDescription(e.target.value)} rows={3} data-testid="template-create-description" />
      </label>
    </FormDialog>
  );
}

function Gallery({ partner }: { partner: Organisation }) {
  const canManage = MANAGE_ROLES.includes(partner.role);
  const toast = useToast();
  const listed = useResource([partner.id], () => partnerApi.templates(partner.id));
  // The customer counts per version; without them the gallery still works (a toast says so).
  const copies = useResource<TemplateInstance[]>([partner.id], () =>
    partnerApi.allInstances().catch((e: unknown) => {
      toast.error('Customer counts could not be loaded', message(e));
      return [];
    }),
  );
  const templates: Template[] | null = listed.data;
  const instances = copies.data ?? [];
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [creating, setCreating] = useState(false);

  const categories = useMemo(() => categoriesOf(templates ?? []), [templates]);
  const shown = useMemo(() => filterTemplates(templates ?? [], search, category), [templates, search, category]);
  const closeCreate = useCallback(() => setCreating(false), []);

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Templates</h1>
          <p className="muted">{partner.name} · flows you publish once and clone into your customers</p>
        </div>
        {canManage && (
          <button className="primary" onClick={() => setCreating(true)} data-testid="create-template">
            New template
          </button>
        )}
      </div>
      {templates && templates.length > 0 && (
        <div className="filters">
          <input type="search" placeholder="Search templates…" value={search} onChange={(e) => setSearch(e.target.value)} aria-label="Search templates" data-testid="template-search" />
          <select value={category} onChange={(e) => setCategory(e.target.value)} aria-label="Category" data-testid="template-category-filter">
            <option value="">All categories</option>
            {categories.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
            {templates.some((t) => !t.category) && <option value="__none__">Uncategorised</option>}
          </select>
          <span className="muted">
            {shown.length} of {templates.length} template{templates.length === 1 ? '' : 's'}
          </span>
        </div>
      )}
      <ResourceState
        resource={listed}
        what="templates"
        testid="templates"
        describe={message}
        empty={{
          title: 'No templates yet',
          body: 'A template is a versioned copy of one of your flows, with parameters your customers fill in (their own connections, their own values).',
          action: canManage ? <button className="primary" onClick={() => setCreating(true)}>Create your first template</button> : undefined,
          testid: 'templates-empty',
        }}
      >
        {() =>
          shown.length === 0 ? (
            <EmptyState title="No templates match" body="Try another search or category." action={<button onClick={() => { setSearch(''); setCategory(''); }}>Clear filters</button>} />
          ) : (
            <ul className="template-grid" data-testid="template-grid">
              {shown.map((t) => {
                const counts = versionCounts(instances, t.id);
                const total = counts.reduce((n, c) => n + c.customers, 0);
                return (
                  <li key={t.id} className="template-card" data-testid={`template-card-${t.id}`}>
                    <div className="row between gap">
                      <Link to={`/partner/templates/${t.id}`} className="template-card-name strong" data-testid={`template-open-${t.id}`}>
                        {t.name}
                      </Link>
                      {t.category && <span className="tag">{t.category}</span>}
                    </div>
                    <p className="muted small template-card-desc">{t.description || 'No description.'}</p>
                    <div className="row gap wrap small">
                      <span className="pill" data-testid={`template-latest-${t.id}`}>
                        {t.latest_version ? `v${t.latest_version}` : 'not published'}
                      </span>
                      <span className="muted">
                        {total} customer{total === 1 ? '' : 's'}
                      </span>
                      <span className="muted">· updated {timeAgo(t.updated_at)}</span>
                    </div>
                    {counts.length > 0 && (
                      <ul className="template-counts" aria-label="Customers per version" data-testid={`template-counts-${t.id}`}>
                        {counts.map((c) => (
                          <li key={c.version}>
                            v{c.version}: {c.customers}
                          </li>
                        ))}
                      </ul>
                    )}
                  </li>
                );
              })}
            </ul>
          )
        }
      </ResourceState>
      {creating && <NewTemplateDialog partner={partner} categories={categories} onClose={closeCreate} />}
    </>
  );
}

export function TemplatesPage() {
  return <PartnerPage testid="partner-templates">{(partner) => <Gallery partner={partner} />}</PartnerPage>;
}
