// "Clone into customers": pick one or many customers, fill each one's parameters (values, and connection
// slots bound to that customer's own connections of the slot's connector, or left unbound), submit once
// and see one result per customer (the new flow, or the errors by field).
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { connectionsApi } from '../api/connections';
import { partnerApi } from '../api/partner';
import type {
  CloneResponse, Connection, ConnectionSlot, DryRunResult, OrganisationInfo, Template, TemplateVersion, ValueParameter,
} from '../api/types';
import { Dialog, Skeleton, Spinner } from '../ui/bits';
import {
  buildClonePayload, cloneOutcomes, initialCustomerForm, inputKind, unboundSlots, type CloneOutcome, type CustomerForm, type FieldValue,
} from './model';
import { message, useCustomers } from './shared';

type ConnState = Connection[] | 'loading' | { error: string };

function ValueInput({ p, id, value, error, onChange }: { p: ValueParameter; id: string; value: FieldValue | undefined; error?: string; onChange: (v: FieldValue) => void }) {
  const kind = inputKind(p);
  const described = `${id}-help`;
  const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': described, 'data-testid': id } as const;
  return (
    <div className="field clone-field">
      {kind === 'boolean' ? (
        <label className="switch">
          <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} {...common} />
          <span className="strong">{p.name}</span>
        </label>
      ) : (
        <>
          <label htmlFor={id}>
            <span className="strong small">{p.name}</span>
            {p.required && <span className="error-text"> *</span>}
          </label>
          {kind === 'json' ? (
            <textarea rows={3} className="clone-json" value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} spellCheck={false} {...common} />
          ) : (
            <input type={kind === 'number' ? 'number' : 'text'} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} required={p.required} {...common} />
          )}
        </>
      )}
      <small id={described} className="muted">
        {p.description || <code>{p.pointer}</code>}
        {kind === 'json' && ' (JSON)'}
        {!p.required && kind !== 'boolean' && ' · blank = the template’s default'}
      </small>
      {error && <em className="conn-err">{error}</em>}
    </div>
  );
}

function SlotInput({ p, id, state, value, error, onChange }: { p: ConnectionSlot; id: string; state: ConnState | undefined; value: number | null; error?: string; onChange: (v: number | null) => void }) {
  const list = Array.isArray(state) ? state : [];
  return (
    <div className="field clone-field">
      <label htmlFor={id}>
        <span className="strong small">{p.name}</span> <span className="muted small">· {p.connector} connection</span>
      </label>
      {state === 'loading' || state === undefined ? (
        <Skeleton rows={1} />
      ) : (
        <select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value ? Number(e.target.value) : null)} aria-invalid={error ? true : undefined} data-testid={id}>
          <option value="">Leave unbound (bind it later in the flow)</option>
          {list.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} · {c.environment}
            </option>
          ))}
        </select>
      )}
      <small className="muted">
        {!Array.isArray(state) && state && state !== 'loading' ? `Connections could not be loaded: ${state.error}` : list.length === 0 && Array.isArray(state) ? `This customer has no ${p.connector} connection yet.` : p.description}
        {p.required && ' · required before the flow can run'}
      </small>
      {error && <em className="conn-err">{error}</em>}
    </div>
  );
}

export function CloneDialog({ template, versions, onClose, onCloned }: { template: Template; versions: TemplateVersion[]; onClose: () => void; onCloned?: () => void }) {
  const { customers, error: customersError } = useCustomers(template.organisation);
  const [versionNo, setVersionNo] = useState<number>(versions[0]?.number ?? 0);
  const version = versions.find((v) => v.number === versionNo);
  const params = useMemo(() => version?.parameters ?? [], [version]);
  const slots = params.filter((p): p is ConnectionSlot => p.kind === 'connection');
  const [selected, setSelected] = useState<number[]>([]);
  const [forms, setForms] = useState<Record<number, CustomerForm>>({});
  const [conns, setConns] = useState<Record<string, ConnState>>({});
  const [errors, setErrors] = useState<Record<number, Record<string, string>>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [outcomes, setOutcomes] = useState<CloneOutcome[] | null>(null);
  const requested = useRef(new Set<string>());

  // A version change resets the forms (the parameters differ).
  useEffect(() => {
    setForms({});
    setErrors({});
  }, [versionNo]);

  // Connections of each selected customer for each slot's connector, loaded once.
  useEffect(() => {
    for (const c of selected) {
      for (const connector of new Set(slots.map((s) => s.connector))) {
        const key = `${c}:${connector}`;
        if (requested.current.has(key)) continue;
        requested.current.add(key);
        setConns((m) => ({ ...m, [key]: 'loading' }));
        connectionsApi.forConnector(c, connector).then(
          (list) => setConns((m) => ({ ...m, [key]: list.filter((x) => x.connector === connector) })),
          (e: unknown) => setConns((m) => ({ ...m, [key]: { error: message(e) } })),
        );
      }
    }
  }, [selected, slots]);

  const byId = useMemo(() => new Map((customers ?? []).map((c) => [c.id, c])), [customers]);
  const all = customers ?? [];
  const allOn = all.length > 0 && selected.length === all.length;
  const toggle = (id: number, on: boolean) => setSelected((s) => (on ? [...s.filter((x) => x !== id), id] : s.filter((x) => x !== id)));
  const ordered = all.filter((c) => selected.includes(c.id)).map((c) => c.id);
  const formOf = (id: number) => forms[id] ?? initialCustomerForm(params);
  const setForm = (id: number, f: (prev: CustomerForm) => CustomerForm) => {
    setForms((m) => ({ ...m, [id]: f(m[id] ?? initialCustomerForm(params)) }));
    setErrors((e) => ({ ...e, [id]: {} }));
  };

  const submit = async () => {
    if (!version) return;
    if (!ordered.length) {
      setError('Pick at least one customer.');
      return;
    }
    const plan = buildClonePayload(version.number, params, ordered, forms);
    setErrors(plan.errors);
    if (Object.keys(plan.errors).length) {
      setError('Some values need attention.');
      return;
    }
    setBusy(true);
    setError(null);
    let res: CloneResponse | null = null;
    try {
      res = await partnerApi.clone(template.id, plan.payload);
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as unknown as Partial<CloneResponse>) : null;
      if (body?.results) res = body as CloneResponse;
      else setError(message(e));
    } finally {
      setBusy(false);
    }
    if (res) {
      const out = cloneOutcomes(ordered, res.results);
      setOutcomes(out);
      if (out.some((o) => o.ok)) onCloned?.();
      // Keep the failed ones selected with their forms, so they can be fixed and sent again.
      const failed = out.filter((o) => !o.ok);
      setErrors(Object.fromEntries(failed.map((o) => [o.customer, Object.fromEntries(o.errors.map((x) => [x.field, x.messages.join(' ')]))])));
    }
  };

  // Dry run: the same payload, checked against the customers' own systems; nothing is created.
  const [dryRun, setDryRun] = useState<DryRunResult[] | null>(null);
  const [checking, setChecking] = useState(false);
  const check = async () => {
    if (!version || !ordered.length) return;
    const plan = buildClonePayload(version.number, params, ordered, forms);
    setErrors(plan.errors);
    if (Object.keys(plan.errors).length) {
      setError('Some values need attention.');
      return;
    }
    setChecking(true);
    setError(null);
    try {
      setDryRun((await partnerApi.dryRunClone(template.id, plan.payload)).results);
    } catch (e) {
      setError(message(e));
    } finally {
      setChecking(false);
    }
  };

  const retryFailed = () => {
    if (!outcomes) return;
    setSelected(outcomes.filter((o) => !o.ok).map((o) => o.customer));
    setOutcomes(null);
  };

  const name = (id: number) => byId.get(id)?.name ?? `Customer ${id}`;

  return (
    <Dialog
      title={`Clone “${template.name}” into customers`}
      onClose={onClose}
      testid="clone-dialog"
      wide
      footer={
        outcomes ? (
          <>
            {outcomes.some((o) => !o.ok) && (
              <button type="button" onClick={retryFailed} data-testid="clone-retry">
                Fix the failed ones
              </button>
            )}
            <button type="button" className="primary" onClick={onClose} data-testid="clone-done">
              Done
            </button>
          </>
        ) : (
          <>
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="button" onClick={() => void check()} disabled={checking || busy || !version || !ordered.length} data-testid="clone-dry-run-button">
              {checking ? <Spinner label="Checking" /> : 'Dry run'}
            </button>
            <button type="button" className="primary" onClick={() => void submit()} disabled={busy || !version || !ordered.length} data-testid="clone-submit">
              {busy ? <Spinner label="Cloning" /> : `Clone into ${ordered.length} customer${ordered.length === 1 ? '' : 's'}`}
            </button>
          </>
        )
      }
    >
      {outcomes ? (
        <ul className="clone-results" data-testid="clone-results" aria-live="polite">
          {outcomes.map((o) => (
            <li key={o.customer} className={o.ok ? 'clone-ok' : 'clone-failed'} data-testid={`clone-result-${o.customer}`} data-ok={o.ok}>
              <div className="row gap">
                <span className={`badge ${o.ok ? 'badge-succeeded' : 'badge-failed'}`}>{o.ok ? 'cloned' : 'failed'}</span>
                <span className="strong grow">{name(o.customer)}</span>
                {o.ok && o.flow && (
                  <Link to={`/flows/${o.flow}`} data-testid={`clone-flow-link-${o.customer}`} onClick={onClose}>
                    Open flow #{o.flow}
                  </Link>
                )}
              </div>
              {o.unbound.length > 0 && <p className="small conn-warn">Unbound connection slots: {o.unbound.join(', ')}. Pick the customer’s connections in the flow before it runs.</p>}
              {o.pending.length > 0 && (
                <p className="small conn-warn" data-testid={`clone-pending-${o.customer}`}>
                  ERP ids not checked yet ({o.pending.join(', ')}): they are checked in the customer’s ERP when the flow is published.
                </p>
              )}
              {o.errors.length > 0 && (
                <ul className="small clone-errors">
                  {o.errors.map((x) => (
                    <li key={x.field}>
                      <code>{x.field}</code>: {x.messages.join(' ')}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      ) : dryRun ? (
        <div data-testid="clone-dry-run" aria-live="polite">
          <p className="muted small">Dry run against each customer&rsquo;s own connections. Nothing was created.</p>
          <ul className="clone-results">
            {dryRun.map((r) => (
              <li key={String(r.customer)} className={r.ok ? 'clone-ok' : 'clone-failed'} data-testid={`dry-run-${r.customer}`} data-ok={r.ok}>
                <div className="row gap">
                  <span className={`badge ${r.ok ? 'badge-succeeded' : 'badge-failed'}`}>{r.ok ? 'ready' : 'needs attention'}</span>
                  <span className="strong grow">{name(r.customer ?? 0)}</span>
                </div>
                <ul className="small clone-errors">
                  {Object.entries(r.errors ?? {}).map(([field, messages]) => (
                    <li key={`e-${field}`}><code>{field}</code>: {messages.join(' ')}</li>
                  ))}
                  {(r.findings ?? []).map((f, i) => (
                    <li key={`f-${i}`}>{f.node_id ? <code>{f.node_id}</code> : null} {f.message}</li>
                  ))}
                  {Object.entries(r.connections ?? {}).map(([slot, t]) => (
                    <li key={`c-${slot}`}>
                      <code>{slot}</code>: {t.ok ? 'connection works' : `connection failed — ${t.message}`}
                    </li>
                  ))}
                  {(r.unbound ?? []).length > 0 && <li>Unbound connection slots: {(r.unbound ?? []).join(', ')}.</li>}
                  {(r.pending_checks ?? []).length > 0 && <li>ERP ids checked at publish (ERP not connected yet): {(r.pending_checks ?? []).join(', ')}.</li>}
                </ul>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => setDryRun(null)} data-testid="clone-dry-run-back">Back to the form</button>
        </div>
      ) : versions.length === 0 ? (
        <p className="muted">Publish a version of this template first.</p>
      ) : (
        <div className="clone-form">
          <label className="field">
            <span>Version</span>
            <select value={versionNo} onChange={(e) => setVersionNo(Number(e.target.value))} data-testid="clone-version">
              {versions.map((v) => (
                <option key={v.number} value={v.number}>
                  v{v.number}
                  {v === versions[0] ? ' (latest)' : ''}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="subsection" data-testid="clone-customers">
            <legend>Customers</legend>
            {!customers ? (
              <Skeleton rows={2} />
            ) : customersError ? (
              <p className="conn-err">Customers could not be loaded: {customersError}</p>
            ) : all.length === 0 ? (
              <p className="muted">{`No customers yet: create one on the Customers page.`}</p>
            ) : (
              <>
                <label className="switch clone-all">
                  <input
                    type="checkbox"
                    checked={allOn}
                    ref={(el) => {
                      if (el) el.indeterminate = selected.length > 0 && !allOn;
                    }}
                    onChange={(e) => setSelected(e.target.checked ? all.map((c) => c.id) : [])}
                    data-testid="clone-select-all"
                  />
                  <span className="strong">Select all ({all.length})</span>
                </label>
                <div className="clone-customer-list">
                  {all.map((c: OrganisationInfo) => (
                    <label key={c.id} className="switch">
                      <input type="checkbox" checked={selected.includes(c.id)} onChange={(e) => toggle(c.id, e.target.checked)} data-testid={`clone-customer-${c.id}`} />
                      {c.name}
                    </label>
                  ))}
                </div>
              </>
            )}
          </fieldset>
          {ordered.map((id) => {
            const form = formOf(id);
            const errs = errors[id] ?? {};
            const unbound = unboundSlots(params, form);
            return (
              <fieldset key={id} className="subsection clone-customer" data-testid={`clone-form-${id}`}>
                <legend>{name(id)}</legend>
                <div className="field clone-field">
                  <label htmlFor={`clone-${id}-name`}>
                    <span className="strong small">Flow name</span>
                  </label>
                  <input id={`clone-${id}-name`} value={form.name} placeholder={template.name} onChange={(e) => setForm(id, (f) => ({ ...f, name: e.target.value }))} maxLength={200} data-testid={`clone-${id}-name`} />
                </div>
                {params.length === 0 && <p className="muted small">This version declares no parameters.</p>}
                {params.map((p) =>
                  p.kind === 'value' ? (
                    <ValueInput
                      key={p.name}
                      p={p}
                      id={`clone-${id}-${p.name}`}
                      value={form.values[p.name]}
                      error={errs[p.name]}
                      onChange={(v) => setForm(id, (f) => ({ ...f, values: { ...f.values, [p.name]: v } }))}
                    />
                  ) : (
                    <SlotInput
                      key={p.name}
                      p={p}
                      id={`clone-${id}-${p.name}`}
                      state={conns[`${id}:${p.connector}`]}
                      value={form.connections[p.name] ?? null}
                      error={errs[p.name]}
                      onChange={(v) => setForm(id, (f) => ({ ...f, connections: { ...f.connections, [p.name]: v } }))}
                    />
                  ),
                )}
                {Object.entries(errs)
                  .filter(([k]) => !params.some((p) => p.name === k))
                  .map(([k, m]) => (
                    <p key={k} className="conn-err" role="alert">
                      {k}: {m}
                    </p>
                  ))}
                {unbound.length > 0 && <p className="muted small">Unbound: {unbound.map((s) => s.name).join(', ')}.</p>}
              </fieldset>
            );
          })}
          {error && (
            <div className="callout callout-error" role="alert" data-testid="clone-error">
              {error}
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
