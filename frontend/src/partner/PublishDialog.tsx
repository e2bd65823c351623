// "Publish new version": freeze the template's source flow (draft or published version) with a
// changelog and the parameters customers fill in: connection slots (one per connector used by the
// flow's nodes) and overridable values (a node's config field, addressed by a JSON pointer).
import { useEffect, useMemo, useState } from 'react';
import { flowsApi } from '../api/flows';
import { partnerApi } from '../api/partner';
import type { ConnectionSlot, Template, TemplateParameterInput, TemplateVersion, ValueParameter } from '../api/types';
import type { FlowDetail, FlowDocument, NodeType } from '../api/types';
import { Dialog, Skeleton, Spinner } from '../ui/bits';
import {
  declarationProblems, declarationServerErrors, fieldTitle, overridableFields, paramName, parsePointer, showValue, suggestSlots, valuePointer,
  type ParameterRow,
} from './model';
import { fieldErrors, message } from './shared';

type Source = 'draft' | 'published';

function currentValue(doc: FlowDocument | undefined, pointer: string): string {
  const at = parsePointer(pointer);
  const node = at ? doc?.nodes.find((n) => n.id === at.node) : undefined;
  if (!node || !at) return '—';
  const v = node.config?.[at.field];
  return showValue(v, v === undefined, 80);
}

export function PublishDialog({
  template, latest, onClose, onPublished,
}: {
  template: Template;
  latest: TemplateVersion | undefined;
  onClose: () => void;
  onPublished: (v: TemplateVersion) => void;
}) {
  const [flow, setFlow] = useState<FlowDetail | null>(null);
  const [types, setTypes] = useState<NodeType[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [source, setSource] = useState<Source>('draft');
  const [publishedDoc, setPublishedDoc] = useState<FlowDocument | undefined>(undefined);
  const [changelog, setChangelog] = useState('');
  const [params, setParams] = useState<ParameterRow[] | null>(null);
  const [showProblems, setShowProblems] = useState(false);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!template.source_flow) return;
    let alive = true;
    Promise.all([flowsApi.get(template.source_flow), flowsApi.nodeTypes()]).then(
      ([f, t]) => {
        if (!alive) return;
        setFlow(f);
        setTypes(t);
      },
      (e: unknown) => alive && setLoadError(message(e)),
    );
    return () => {
      alive = false;
    };
  }, [template.source_flow]);

  useEffect(() => {
    if (source !== 'published' || !flow?.published_version || publishedDoc) return;
    let alive = true;
    flowsApi.version(flow.published_version.id).then(
      (v) => alive && setPublishedDoc(v.document),
      (e: unknown) => alive && setLoadError(message(e)),
    );
    return () => {
      alive = false;
    };
  }, [source, flow, publishedDoc]);

  const doc = source === 'published' ? publishedDoc : flow?.draft.document;
  const byType = useMemo(() => new Map(types.map((t) => [t.type, t])), [types]);
  const suggestions = useMemo(() => suggestSlots(doc, types), [doc, types]);

  // Start from the latest version's parameters that still fit the flow, else one slot per connector.
  useEffect(() => {
    if (params || !flow || !types.length || !doc) return;
    const ids = new Set(doc.nodes.map((n) => n.id));
    const kept = (latest?.parameters ?? []).filter((p) =>
      p.kind === 'connection' ? p.nodes.some((n) => ids.has(n)) : ids.has(parsePointer(p.pointer)?.node ?? ''),
    ).map((p) => (p.kind === 'connection' ? { ...p, nodes: p.nodes.filter((n) => ids.has(n)) } : p));
    setParams(
      kept.length
        ? kept
        : suggestions.map((s) => ({ name: paramName(`${s.connector}_connection`), kind: 'connection', connector: s.connector, nodes: s.nodes.map((n) => n.id), required: false, description: '' })),
    );
  }, [params, flow, types, doc, latest, suggestions]);

  const list = params ?? [];
  const problems = { ...(showProblems ? declarationProblems(list, doc) : {}), ...serverErrors };
  const update = (i: number, patch: Partial<ConnectionSlot> | Partial<ValueParameter>) => {
    setParams((ps) => (ps ?? []).map((p, j) => (j === i ? ({ ...p, ...patch } as ParameterRow) : p)));
    setServerErrors({});
  };
  const removeAt = (i: number) => setParams((ps) => (ps ?? []).filter((_, j) => j !== i));
  const addSlot = (connector: string) => {
    const s = suggestions.find((x) => x.connector === connector);
    setParams((ps) => [...(ps ?? []), { name: paramName(`${connector}_connection`), kind: 'connection', connector, nodes: s?.nodes.map((n) => n.id) ?? [], required: false, description: '' }]);
  };
  const addValue = () => setParams((ps) => [...(ps ?? []), { name: '', kind: 'value', pointer: '', required: false, description: '' }]);

  const submit = async () => {
    setShowProblems(true);
    const p = declarationProblems(list, doc);
    if (Object.keys(p).length) {
      setError('Some parameters need attention.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      // Only the declared keys (the row's picked step is UI state); defaults are the flow's current values.
      // What the dialog does not edit (ERP references, a shared key) is kept from the latest version.
      const parameters: TemplateParameterInput[] = list.map((x) =>
        x.kind === 'connection'
          ? { name: x.name, kind: 'connection', connector: x.connector, nodes: x.nodes, required: x.required, description: x.description.trim() }
          : {
              name: x.name, kind: 'value', pointer: x.pointer, required: x.required, description: x.description.trim(),
              ...(x.references ? { references: x.references } : {}), ...(x.shared ? { shared: x.shared } : {}),
            },
      );
      const v = await partnerApi.publishVersion(template.id, { source, parameters, changelog: changelog.trim() });
      onPublished(v);
    } catch (e) {
      setServerErrors(declarationServerErrors(fieldErrors(e)));
      const findings = (e as { findings?: { message: string }[] }).findings ?? [];
      setError(findings.length ? `The flow has errors: ${findings.map((f) => f.message).join(' · ')}` : message(e));
      setBusy(false);
    }
  };

  const err = (k: string) => problems[k];
  const unusedConnectors = suggestions.filter((s) => !list.some((p) => p.kind === 'connection' && p.connector === s.connector));

  return (
    <Dialog
      title={`Publish version ${(template.latest_version ?? 0) + 1} of “${template.name}”`}
      onClose={onClose}
      testid="publish-version-dialog"
      wide
      footer={
        <>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => void submit()} disabled={busy || !params} data-testid="publish-version-submit">
            {busy ? <Spinner label="Publishing" /> : 'Publish version'}
          </button>
        </>
      }
    >
      {!template.source_flow ? (
        <div className="callout callout-error" role="alert">
          This template has no source flow (it was deleted). Create a new template from a flow.
        </div>
      ) : loadError ? (
        <div className="callout callout-error" role="alert">
          The source flow could not be loaded: {loadError}
        </div>
      ) : !flow || !params ? (
        <Skeleton rows={4} testid="publish-loading" />
      ) : (
        <div className="publish-form">
          <div className="row gap">
            <div className="grow">
              <div className="muted small">Source flow</div>
              <div className="strong">{flow.name}</div>
            </div>
            <fieldset className="seg" aria-label="Publish from">
              <button type="button" className={source === 'draft' ? 'on' : ''} aria-pressed={source === 'draft'} onClick={() => setSource('draft')} data-testid="publish-source-draft">
                Current draft
              </button>
              <button
                type="button"
                className={source === 'published' ? 'on' : ''}
                aria-pressed={source === 'published'}
                onClick={() => setSource('published')}
                disabled={!flow.published_version}
                title={flow.published_version ? `Version ${flow.published_version.number}` : 'The flow has no published version'}
                data-testid="publish-source-published"
              >
                Published{flow.published_version ? ` v${flow.published_version.number}` : ''}
              </button>
            </fieldset>
          </div>
          <label className="field">
            <span>Changelog</span>
            <textarea rows={3} value={changelog} onChange={(e) => setChangelog(e.target.value)} placeholder="What changed for your customers" maxLength={10000} data-testid="publish-changelog" />
          </label>
          <p className="muted small">
            Connection references and secret-looking settings are removed from the published copy: each customer binds its own connections.
          </p>

          <fieldset className="subsection" data-testid="publish-slots">
            <legend>Connection slots</legend>
            {suggestions.length === 0 && <p className="muted small">No step of this flow uses a connection.</p>}
            {list.map((p, i) =>
              p.kind !== 'connection' ? null : (
                <div key={i} className="param-row" data-testid={`param-${i}`}>
                  <div className="row gap wrap">
                    <label className="field grow">
                      <span>Name</span>
                      <input value={p.name} onChange={(e) => update(i, { name: e.target.value })} aria-invalid={err(`${i}.name`) ? true : undefined} data-testid={`param-name-${i}`} />
                      {err(`${i}.name`) && <em className="conn-err">{err(`${i}.name`)}</em>}
                    </label>
                    <div className="field">
                      <span>Connector</span>
                      <code className="param-connector">{p.connector}</code>
                    </div>
                    <label className="switch param-required">
                      <input type="checkbox" checked={p.required} onChange={(e) => update(i, { required: e.target.checked })} /> Required
                    </label>
                    <button type="button" className="small danger-ghost" onClick={() => removeAt(i)} aria-label={`Remove parameter ${p.name}`}>
                      Remove
                    </button>
                  </div>
                  <fieldset className="param-nodes" aria-label={`Steps that use ${p.name}`}>
                    <span className="muted small">Used by:</span>
                    {(suggestions.find((s) => s.connector === p.connector)?.nodes ?? []).map((n) => (
                      <label key={n.id} className="switch">
                        <input
                          type="checkbox"
                          checked={p.nodes.includes(n.id)}
                          onChange={(e) => update(i, { nodes: e.target.checked ? [...p.nodes, n.id] : p.nodes.filter((x) => x !== n.id) })}
                        />
                        {n.label}
                      </label>
                    ))}
                    {err(`${i}.nodes`) && <em className="conn-err">{err(`${i}.nodes`)}</em>}
                  </fieldset>
                  <input className="param-desc" placeholder="Description for the person cloning (optional)" value={p.description} onChange={(e) => update(i, { description: e.target.value })} aria-label={`Description of ${p.name}`} />
                </div>
              ),
            )}
            {unusedConnectors.map((s) => (
              <button key={s.connector} type="button" className="small" onClick={() => addSlot(s.connector)} data-testid={`add-slot-${s.connector}`}>
                + Slot for {s.connector} ({s.nodes.length} step{s.nodes.length === 1 ? '' : 's'})
              </button>
            ))}
          </fieldset>

          <fieldset className="subsection" data-testid="publish-values">
            <legend>Overridable values</legend>
            {!list.some((p) => p.kind === 'value') && <p className="muted small">Customers get the flow’s values as they are. Add a value they may set per customer.</p>}
            {list.map((p, i) => {
              if (p.kind !== 'value') return null;
              const at = parsePointer(p.pointer);
              const nodeId = at?.node ?? (p as ValueParameter & { _node?: string })._node ?? '';
              const node = doc?.nodes.find((n) => n.id === nodeId);
              const fields = overridableFields(node, byType.get(node?.type ?? ''));
              return (
                <div key={i} className="param-row" data-testid={`param-${i}`}>
                  <div className="row gap wrap">
                    <label className="field grow">
                      <span>Step</span>
                      <select
                        value={nodeId}
                        onChange={(e) => update(i, { pointer: '', _node: e.target.value } as Partial<ValueParameter>)}
                        data-testid={`param-node-${i}`}
                      >
                        <option value="">Pick a step…</option>
                        {(doc?.nodes ?? []).map((n) => (
                          <option key={n.id} value={n.id}>
                            {n.label || n.id} ({n.type})
                          </option>
                        ))}
                      </select>
                    </label>
                    <label className="field grow">
                      <span>Field</span>
                      <select
                        value={at?.field ?? ''}
                        disabled={!node}
                        onChange={(e) => {
                          const field = e.target.value;
                          update(i, { pointer: field ? valuePointer(nodeId, field) : '', name: p.name || (field ? paramName(field) : '') });
                        }}
                        aria-invalid={err(`${i}.pointer`) ? true : undefined}
                        data-testid={`param-field-${i}`}
                      >
                        <option value="">Pick a field…</option>
                        {fields.map((f) => (
                          <option key={f} value={f}>
                            {fieldTitle(byType.get(node?.type ?? ''), f)}
                          </option>
                        ))}
                      </select>
                      {err(`${i}.pointer`) && <em className="conn-err">{err(`${i}.pointer`)}</em>}
                    </label>
                    <label className="field grow">
                      <span>Name</span>
                      <input value={p.name} onChange={(e) => update(i, { name: e.target.value })} aria-invalid={err(`${i}.name`) ? true : undefined} data-testid={`param-name-${i}`} />
                      {err(`${i}.name`) && <em className="conn-err">{err(`${i}.name`)}</em>}
                    </label>
                    <label className="switch param-required">
                      <input type="checkbox" checked={p.required} onChange={(e) => update(i, { required: e.target.checked })} data-testid={`param-required-${i}`} /> Required
                    </label>
                    <button type="button" className="small danger-ghost" onClick={() => removeAt(i)} aria-label={`Remove parameter ${p.name || i + 1}`}>
                      Remove
                    </button>
                  </div>
                  {p.pointer && (
                    <div className="muted small">
                      <code>{p.pointer}</code> · default {currentValue(doc, p.pointer)}
                    </div>
                  )}
                  <input className="param-desc" placeholder="Description for the person cloning (optional)" value={p.description} onChange={(e) => update(i, { description: e.target.value })} aria-label={`Description of ${p.name || 'the parameter'}`} data-testid={`param-desc-${i}`} />
                </div>
              );
            })}
            <button type="button" className="small" onClick={addValue} data-testid="add-value-param">
              + Value parameter
            </button>
          </fieldset>
          {error && (
            <div className="callout callout-error" role="alert" data-testid="publish-error">
              {error}
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}
