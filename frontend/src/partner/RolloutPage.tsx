// /partner/templates/:id/rollout: the customer copies of a template (version, pinned, drift), a preview
// of an upgrade per copy (diff, merge conflicts with a resolution each), the staged upgrade of the chosen
// copies, pin/unpin, rollback and the drift report.
import { useEffect, useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { partnerApi } from '../api/partner';
import type {
  DriftRow, MergeConflict, Organisation, Template, TemplateInstance, TemplateVersion, UpgradePreview, UpgradeResult,
} from '../api/types';
import { EmptyState, Skeleton, Spinner } from '../ui/bits';
import { useToast } from '../ui/toast';
import { timeAgo } from '../lib/format';
import { DiffView } from './DiffView';
import { buildResolutions, chooseAll, fieldOf, MANAGE_ROLES, showValue, type Choice, type Choices } from './model';
import { message, PartnerPage, useCustomers } from './shared';

const STATUS_TEXT: Record<string, string> = {
  upgraded: 'Upgraded',
  conflicts: 'Left unchanged: unresolved conflicts',
  skipped_pinned: 'Skipped: pinned',
  up_to_date: 'Already on this version or newer',
  not_found: 'Not found',
  missing_parameters: 'Left unchanged: required parameters missing',
  invalid_references: 'Left unchanged: parameters name records the ERP does not have',
  shared_values_disagree: 'Left unchanged: shared parameters differ from the customer’s other copy',
};

function ConflictRow({ c, choice, onChoose, name }: { c: MergeConflict; choice: Choice | undefined; onChoose: (c: Choice) => void; name: string }) {
  const opts: { kind: 'ours' | 'theirs' | 'base'; label: string; value: string }[] = [
    { kind: 'ours', label: 'Keep customer’s', value: showValue(c.ours, false, 80) },
    { kind: 'theirs', label: 'Take template’s', value: showValue(c.theirs, false, 80) },
    { kind: 'base', label: 'Keep base', value: showValue(c.base, false, 80) },
  ];
  return (
    <fieldset className="conflict" data-testid={`conflict-${c.path}`}>
      <legend>
        <code>{fieldOf(c.path)}</code> <span className="muted small">{c.kind === 'field' ? 'changed on both sides' : c.kind.replace(/_/g, ' ')}</span>
      </legend>
      <div className="conflict-options">
        {opts.map((o) => (
          <label key={o.kind} className="conflict-option">
            <input type="radio" name={name} checked={choice?.kind === o.kind} onChange={() => onChoose({ kind: o.kind })} data-testid={`resolve-${o.kind}`} />
            <span>
              <span className="strong small">{o.label}</span>
              <code className="conflict-value">{o.value}</code>
            </span>
          </label>
        ))}
        <label className="conflict-option">
          <input type="radio" name={name} checked={choice?.kind === 'value'} onChange={() => onChoose({ kind: 'value', text: choice?.kind === 'value' ? choice.text : JSON.stringify(c.ours ?? '') })} data-testid="resolve-value" />
          <span className="grow">
            <span className="strong small">Custom value (JSON or text)</span>
            {choice?.kind === 'value' && (
              <input className="conflict-custom" value={choice.text} onChange={(e) => onChoose({ kind: 'value', text: e.target.value })} aria-label={`Custom value for ${fieldOf(c.path)}`} data-testid="resolve-value-input" />
            )}
          </span>
        </label>
      </div>
    </fieldset>
  );
}

function Rollout({ partner }: { partner: Organisation }) {
  const { id } = useParams();
  const toast = useToast();
  const canManage = MANAGE_ROLES.includes(partner.role);
  const [template, setTemplate] = useState<Template | null>(null);
  const [versions, setVersions] = useState<TemplateVersion[]>([]);
  const [instances, setInstances] = useState<TemplateInstance[] | null>(null);
  const [drift, setDrift] = useState<DriftRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const { customers } = useCustomers(template?.organisation);
  const [selected, setSelected] = useState<number[]>([]);
  const [target, setTarget] = useState<number>(0);
  const [previews, setPreviews] = useState<UpgradePreview[] | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [choices, setChoices] = useState<Choices>({});
  const [tab, setTab] = useState<Record<number, 'changes' | 'diff'>>({});
  const [upgrading, setUpgrading] = useState(false);
  const [results, setResults] = useState<UpgradeResult[] | null>(null);
  const [busyRow, setBusyRow] = useState<number | null>(null);
  const [showDrift, setShowDrift] = useState(false);

  useEffect(() => {
    if (!id) return;
    let alive = true;
    setError(null);
    Promise.all([partnerApi.template(id), partnerApi.versions(id), partnerApi.instances(id)]).then(
      ([t, v, i]) => {
        if (!alive) return;
        setTemplate(t);
        const sorted = [...v].sort((a, b) => b.number - a.number);
        setVersions(sorted);
        setTarget((n) => n || sorted[0]?.number || 0);
        setInstances(i);
      },
      (e: unknown) => alive && setError(message(e)),
    );
    partnerApi.drift(id).then(
      (d) => alive && setDrift(d.results),
      () => alive && setDrift([]),
    );
    return () => {
      alive = false;
    };
  }, [id, reload]);

  const names = useMemo(() => new Map((customers ?? []).map((c) => [c.id, c.name])), [customers]);
  const drifted = useMemo(() => new Map((drift ?? []).map((d) => [d.instance, d])), [drift]);
  const name = (customer: number) => names.get(customer) ?? `Customer ${customer}`;
  const all = instances ?? [];
  const allOn = all.length > 0 && selected.length === all.length;
  const conflictsBy = useMemo(() => Object.fromEntries((previews ?? []).map((p) => [p.instance, p.conflicts])), [previews]);
  const previewIds = (previews ?? []).map((p) => p.instance);
  const { resolutions, unresolved } = buildResolutions(previewIds, conflictsBy, choices);
  const openCount = Object.keys(unresolved).length;

  const preview = async () => {
    if (!template || !selected.length) return;
    setPreviewing(true);
    setResults(null);
    try {
      const r = await partnerApi.previewUpgrade(template.id, target, selected);
      setPreviews(r.results);
      setChoices({});
    } catch (e) {
      toast.error('Could not preview the upgrade', message(e));
    } finally {
      setPreviewing(false);
    }
  };

  const upgrade = async () => {
    if (!template || !previews) return;
    setUpgrading(true);
    try {
      const r = await partnerApi.upgrade(template.id, target, previewIds, resolutions);
      setResults(r.results);
      const n = r.results.filter((x) => x.status === 'upgraded').length;
      toast.success(`Upgraded ${n} of ${r.results.length} cop${r.results.length === 1 ? 'y' : 'ies'} to v${target}`);
      setPreviews(null);
      setSelected([]);
      setReload((x) => x + 1);
    } catch (e) {
      toast.error('Could not upgrade', message(e));
    } finally {
      setUpgrading(false);
    }
  };

  const rowAction = async (i: TemplateInstance, kind: 'pin' | 'unpin' | 'rollback') => {
    setBusyRow(i.id);
    try {
      const updated = await partnerApi[kind](i.id);
      setInstances((list) => (list ?? []).map((x) => (x.id === i.id ? updated : x)));
      toast.success(kind === 'rollback' ? `Rolled ${name(i.customer)} back to v${updated.version}` : `${kind === 'pin' ? 'Pinned' : 'Unpinned'} ${name(i.customer)}`);
      if (kind === 'rollback') setReload((x) => x + 1);
    } catch (e) {
      toast.error(`Could not ${kind}`, message(e));
    } finally {
      setBusyRow(null);
    }
  };

  const choose = (instance: number, path: string, c: Choice) => setChoices((m) => ({ ...m, [instance]: { ...(m[instance] ?? {}), [path]: c } }));

  if (error) return <EmptyState title="Could not load the rollout" body={error} action={<Link to="/partner/templates">Back to templates</Link>} testid="rollout-error" />;
  if (!template || !instances) return <Skeleton rows={5} testid="rollout-loading" />;

  return (
    <div data-testid="rollout" data-template-id={template.id}>
      <p className="small">
        <Link to={`/partner/templates/${template.id}`}>← {template.name}</Link>
      </p>
      <div className="page-head">
        <div>
          <h1>Rollout · {template.name}</h1>
          <p className="muted">
            {instances.length} customer cop{instances.length === 1 ? 'y' : 'ies'} · latest v{template.latest_version ?? '—'}
            {drift && ` · ${drift.filter((d) => d.drifted).length} drifted`}
          </p>
        </div>
        <button onClick={() => setShowDrift((s) => !s)} aria-expanded={showDrift} data-testid="toggle-drift">
          {showDrift ? 'Hide drift report' : 'Drift report'}
        </button>
      </div>

      {showDrift && (
        <section className="subsection" data-testid="drift-report" aria-label="Drift report">
          <h3>Drift: how each copy differs from what the template produced</h3>
          {!drift ? (
            <Skeleton rows={2} />
          ) : drift.filter((d) => d.drifted).length === 0 ? (
            <p className="muted">No copy has drifted from its template version.</p>
          ) : (
            drift
              .filter((d) => d.drifted)
              .map((d) => (
                <details key={d.instance} className="drift-item" data-testid={`drift-${d.instance}`}>
                  <summary>
                    <span className="strong">{name(d.customer)}</span> <span className="muted small">v{d.version} · flow #{d.flow}</span>
                  </summary>
                  <DiffView diff={d.diff} />
                </details>
              ))
          )}
        </section>
      )}

      {instances.length === 0 ? (
        <EmptyState title="No customer copies yet" body="Clone the template into customers first." action={<Link to={`/partner/templates/${template.id}`}>Back to the template</Link>} testid="rollout-empty" />
      ) : (
        <>
          <table className="table" data-testid="instances-table">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    aria-label="Select all copies"
                    checked={allOn}
                    ref={(el) => {
                      if (el) el.indeterminate = selected.length > 0 && !allOn;
                    }}
                    onChange={(e) => setSelected(e.target.checked ? all.map((i) => i.id) : [])}
                    data-testid="instances-select-all"
                  />
                </th>
                <th>Customer</th>
                <th>Version</th>
                <th>Pinned</th>
                <th>Drift</th>
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {instances.map((i) => {
                const d = drifted.get(i.id);
                return (
                  <tr key={i.id} data-testid={`instance-row-${i.id}`}>
                    <td>
                      <input
                        type="checkbox"
                        checked={selected.includes(i.id)}
                        onChange={(e) => setSelected((s) => (e.target.checked ? [...s, i.id] : s.filter((x) => x !== i.id)))}
                        aria-label={`Select ${name(i.customer)}`}
                        data-testid={`instance-select-${i.id}`}
                      />
                    </td>
                    <td>
                      <span className="strong">{name(i.customer)}</span>
                      <div className="small">
                        <Link to={`/flows/${i.flow}`}>flow #{i.flow}</Link> <span className="muted">· updated {timeAgo(i.updated_at)}</span>
                      </div>
                    </td>
                    <td>
                      <span className="pill">v{i.version}</span>
                      {i.previous_version != null && <span className="muted small"> (was v{i.previous_version})</span>}
                    </td>
                    <td data-testid={`instance-pinned-${i.id}`}>{i.pinned ? <span className="badge badge-waiting">pinned</span> : <span className="muted small">no</span>}</td>
                    <td data-testid={`instance-drift-${i.id}`}>
                      {!d ? <span className="muted small">—</span> : d.drifted ? <span className="badge badge-failed" title={d.diff.summary ? Object.entries(d.diff.summary).filter(([, n]) => n).map(([k, n]) => `${k.replace(/_/g, ' ')}: ${n}`).join(', ') : ''}>drifted</span> : <span className="badge badge-succeeded">in sync</span>}
                    </td>
                    <td className="partner-actions">
                      {canManage && (
                        <span className="row gap-s">
                          <button className="small" onClick={() => void rowAction(i, i.pinned ? 'unpin' : 'pin')} disabled={busyRow === i.id} data-testid={`instance-${i.pinned ? 'unpin' : 'pin'}-${i.id}`} aria-label={`${i.pinned ? 'Unpin' : 'Pin'} ${name(i.customer)}`}>
                            {i.pinned ? 'Unpin' : 'Pin'}
                          </button>
                          <button
                            className="small"
                            onClick={() => void rowAction(i, 'rollback')}
                            disabled={busyRow === i.id || i.previous_version == null}
                            title={i.previous_version == null ? 'Not upgraded yet: nothing to roll back to' : `Back to v${i.previous_version}`}
                            data-testid={`instance-rollback-${i.id}`}
                            aria-label={`Roll back ${name(i.customer)}`}
                          >
                            Roll back
                          </button>
                        </span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>

          {canManage && (
            <div className="row gap rollout-bar">
              <label className="row gap-s">
                <span className="small strong">Upgrade to</span>
                <select value={target} onChange={(e) => { setTarget(Number(e.target.value)); setPreviews(null); }} data-testid="rollout-version">
                  {versions.map((v) => (
                    <option key={v.number} value={v.number}>
                      v{v.number}
                    </option>
                  ))}
                </select>
              </label>
              <button className="primary" onClick={() => void preview()} disabled={!selected.length || previewing || !target} data-testid="preview-upgrade">
                {previewing ? <Spinner label="Previewing" /> : `Preview upgrade of ${selected.length} cop${selected.length === 1 ? 'y' : 'ies'}`}
              </button>
            </div>
          )}
        </>
      )}

      {results && (
        <section className="subsection" data-testid="upgrade-results" aria-live="polite">
          <h3>Upgrade results</h3>
          <ul>
            {results.map((r) => {
              const inst = instances.find((i) => i.id === r.instance);
              return (
                <li key={r.instance} data-testid={`upgrade-result-${r.instance}`} data-status={r.status}>
                  <span className="strong">{inst ? name(inst.customer) : `#${r.instance}`}</span>: {STATUS_TEXT[r.status] ?? r.status}
                  {r.missing_parameters?.length ? ` (${r.missing_parameters.join(', ')})` : ''}
                  {r.conflicts.length > 0 && ` (${r.conflicts.length} conflict${r.conflicts.length === 1 ? '' : 's'})`}
                  {Object.keys(r.errors ?? {}).length > 0 && (
                    <ul className="small clone-errors">
                      {Object.entries(r.errors ?? {}).map(([field, messages]) => (
                        <li key={field}><code>{field}</code>: {messages.join(' ')}</li>
                      ))}
                    </ul>
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      )}

      {previews && (
        <section className="rollout-preview" data-testid="upgrade-preview" aria-label="Upgrade preview">
          <div className="row gap wrap rollout-bar">
            <h2 className="grow">Preview: upgrade to v{target}</h2>
            {previews.some((p) => p.conflicts.length) && (
              <>
                <button className="small" onClick={() => setChoices(chooseAll(previewIds, conflictsBy, 'ours'))} data-testid="resolve-all-ours">
                  Keep customer’s everywhere
                </button>
                <button className="small" onClick={() => setChoices(chooseAll(previewIds, conflictsBy, 'theirs'))} data-testid="resolve-all-theirs">
                  Take template’s everywhere
                </button>
              </>
            )}
          </div>
          {previews.map((p) => {
            const view = tab[p.instance] ?? 'changes';
            return (
              <article key={p.instance} className="preview-item" data-testid={`preview-${p.instance}`}>
                <header className="row gap wrap">
                  <span className="strong grow">{name(p.customer)}</span>
                  <span className="muted small">
                    v{p.from_version} → v{p.to_version}
                  </span>
                  {p.pinned && <span className="badge badge-waiting">pinned: will be skipped</span>}
                  {p.conflicts.length > 0 ? (
                    <span className={`badge ${unresolved[p.instance] ? 'badge-failed' : 'badge-succeeded'}`}>
                      {unresolved[p.instance] ? `${unresolved[p.instance]} of ${p.conflicts.length} conflicts open` : 'conflicts resolved'}
                    </span>
                  ) : (
                    <span className="badge badge-succeeded">no conflicts</span>
                  )}
                </header>
                {p.missing_parameters.length > 0 && (
                  <p className="callout callout-error">This version requires parameters the copy has no value for: {p.missing_parameters.join(', ')}. The copy will be left unchanged.</p>
                )}
                {p.warnings.map((w, i) => (
                  <p key={i} className="small conn-warn">
                    {w}
                  </p>
                ))}
                <div className="tabs" role="tablist">
                  <button role="tab" aria-selected={view === 'changes'} className={view === 'changes' ? 'on' : ''} onClick={() => setTab((t) => ({ ...t, [p.instance]: 'changes' }))}>
                    What the upgrade changes
                  </button>
                  <button role="tab" aria-selected={view === 'diff'} className={view === 'diff' ? 'on' : ''} onClick={() => setTab((t) => ({ ...t, [p.instance]: 'diff' }))}>
                    Copy vs new version
                  </button>
                </div>
                <DiffView diff={view === 'changes' ? p.changes : p.diff} testid={`preview-diff-${p.instance}`} />
                {p.conflicts.length > 0 && (
                  <div className="conflicts" data-testid={`conflicts-${p.instance}`}>
                    <h4>Conflicts: the customer and the template changed the same field</h4>
                    {p.conflicts.map((c) => (
                      <ConflictRow key={c.path} c={c} name={`c-${p.instance}-${c.path}`} choice={choices[p.instance]?.[c.path]} onChoose={(ch) => choose(p.instance, c.path, ch)} />
                    ))}
                  </div>
                )}
              </article>
            );
          })}
          <div className="row gap rollout-bar">
            {openCount > 0 && (
              <p className="small conn-warn grow" role="note">
                {openCount} cop{openCount === 1 ? 'y has' : 'ies have'} unresolved conflicts and will be left unchanged.
              </p>
            )}
            <button type="button" onClick={() => setPreviews(null)}>
              Cancel
            </button>
            <button className="primary" onClick={() => void upgrade()} disabled={upgrading} data-testid="upgrade-submit">
              {upgrading ? <Spinner label="Upgrading" /> : `Upgrade ${previews.length} cop${previews.length === 1 ? 'y' : 'ies'}`}
            </button>
          </div>
        </section>
      )}
    </div>
  );
}

export function RolloutPage() {
  return <PartnerPage testid="partner-rollout">{(partner) => <Rollout partner={partner} />}</PartnerPage>;
}
