// /partner/templates: the gallery (search, category filter, cards with the latest version and how many
// customers run each version) and "New template" from one of the partner's flows.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import { partnerApi, type Template, type TemplateInstance } from '../api/partner';
import type { FlowSummary, Organisation } from '../api/types';
import { Dialog, EmptyState, Skeleton, Spinner } from '../ui/bits';
import { useToast } from '../ui/toast';
import { timeAgo } from '../lib/format';
import { categoriesOf, filterTemplates, MANAGE_ROLES, versionCounts } from './model';
import { fieldErrors, message, PartnerPage } from './shared';

function NewTemplateDialog({ partner, categories, onClose }: { partner: Organisation; categories: string[]; onClose: () => void }) {
  const navigate = useNavigate();
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  const [flowsError, setFlowsError] = useState<string | null>(null);
  const [flow, setFlow] = useState('');
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    api.listFlows({ organisation: partner.id, limit: 500 }).then(
      (p) => alive && setFlows(p.results),
      (e: unknown) => {
        if (!alive) return;
        setFlows([]);
        setFlowsError(message(e));
      },
    );
    return () => {
      alive = false;
    };
  }, [partner.id]);

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
    <Dialog
      title="New template"
      onClose={onClose}
      testid="template-create-dialog"
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form="template-create-form" className="primary" disabled={busy} data-testid="template-create-submit">
            {busy ? <Spinner label="Creating" /> : 'Create and publish…'}
          </button>
        </>
      }
    >
      <form
        id="template-create-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
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
        {error && (
          <div className="callout callout-error" role="alert">
            {error}
          </div>
        )}
      </form>
    </Dialog>
  );
}

function Gallery({ partner }: { partner: Organisation }) {
  const canManage = MANAGE_ROLES.includes(partner.role);
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [instances, setInstances] = useState<TemplateInstance[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [creating, setCreating] = useState(false);
  const toast = useToast();

  useEffect(() => {
    let alive = true;
    setTemplates(null);
    setError(null);
    partnerApi.templates(partner.id).then(
      (list) => alive && setTemplates(list),
      (e: unknown) => {
        if (!alive) return;
        setTemplates([]);
        setError(message(e));
      },
    );
    partnerApi.allInstances().then(
      (list) => alive && setInstances(list),
      (e: unknown) => alive && toast.error('Customer counts could not be loaded', message(e)),
    );
    return () => {
      alive = false;
    };
  }, [partner.id, reload, toast]);

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
      {!templates ? (
        <Skeleton rows={4} testid="templates-loading" />
      ) : error ? (
        <EmptyState title="Could not load templates" body={error} action={<button onClick={() => setReload((n) => n + 1)}>Try again</button>} testid="templates-error" />
      ) : templates.length === 0 ? (
        <EmptyState
          title="No templates yet"
          body="A template is a versioned copy of one of your flows, with parameters your customers fill in (their own connections, their own values)."
          action={canManage ? <button className="primary" onClick={() => setCreating(true)}>Create your first template</button> : undefined}
          testid="templates-empty"
        />
      ) : shown.length === 0 ? (
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
      )}
      {creating && <NewTemplateDialog partner={partner} categories={categories} onClose={closeCreate} />}
    </>
  );
}

export function TemplatesPage() {
  return <PartnerPage testid="partner-templates">{(partner) => <Gallery partner={partner} />}</PartnerPage>;
}
