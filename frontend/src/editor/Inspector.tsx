import { memo, useMemo, useState } from 'react';
import Form from '@rjsf/core';
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import { buildUiSchema } from './uiSchema';
import { configChanged, userConfig } from './configDefaults';
import type { Finding, JSONValue, NodeType, OnError } from '../api/types';
import { useEditor, useStore } from './storeContext';
import { cspSafeValidator } from './rjsfValidator';
import { ConnectionWidget, ExpressionRjsfField, ExpressionWidget, FlowPickerWidget, type FormContext } from './widgets';
import { sampleFor, samplePaths } from './sample';
import { Mapper } from './Mapper';
import { SchedulePreview } from './SchedulePreview';
import { CompensationSection } from './CompensationSection';
import { OutputInspector } from '../runs/OutputInspector';
import { NodeIcon } from '../lib/icons';
import { HelpText } from '../ui/HelpText';
import { useSession } from '../session';
import { UpstreamSamplesProvider } from './upstreamContext';
import { nodeFindings } from './nodeFindings';

const widgets = { expression: ExpressionWidget, connection: ConnectionWidget, flow: FlowPickerWidget };
const fields = { expression: ExpressionRjsfField };

type Tab = 'settings' | 'mapping' | 'output' | 'docs';

/** The rjsf form, memoised on the config object: a drag moves the node but keeps its config. */
const SettingsForm = memo(function SettingsForm({
  nodeId, schema, uiSchema, config, formContext,
}: { nodeId: string; schema: RJSFSchema; uiSchema: UiSchema; config: Record<string, JSONValue>; formContext: FormContext }) {
  const store = useStore();
  return (
    <Form
      className="rjsf"
      schema={schema}
      uiSchema={uiSchema}
      formData={config}
      validator={cspSafeValidator}
      widgets={widgets}
      fields={fields}
      formContext={formContext}
      liveValidate
      showErrorList={false}
      idPrefix={`cfg`}
      onChange={({ formData }) => {
        // Only what a person changed: the defaults the form fills in on mount stay defaults.
        const data = formData as Record<string, JSONValue>;
        if (configChanged(schema, config, data)) store.updateConfig(nodeId, userConfig(schema, config, data));
      }}
    />
  );
});

function FindingLines({ findings }: { findings: Finding[] }) {
  return (
    <>
      {findings.map((f, i) => (
        <div key={i}>
          {f.field && <strong>{f.field}: </strong>}
          {f.message}
        </div>
      ))}
    </>
  );
}

function InspectorView({ nodeId, onRunNode, readOnly }: { nodeId: string; onRunNode?: (id: string) => void; readOnly?: boolean }) {
  const store = useStore();
  const { organisation } = useSession();
  const node = useEditor((s) => s.document.nodes.find((n) => n.id === nodeId));
  const findings = useEditor((s) => s.findings);
  // Slices, not the whole state: dragging a node must not re-render the inspector's form per tick.
  const edges = useEditor((s) => s.document.edges);
  const pinned = useEditor((s) => s.pinned);
  const run = useEditor((s) => s.run);
  const type: NodeType | undefined = node ? store.nodeType(node.type) : undefined;
  const isMap = node?.type === 'transform.map';
  const [tab, setTab] = useState<Tab>(readOnly ? 'output' : isMap ? 'mapping' : 'settings');
  const sample = useMemo(() => sampleFor({ document: { edges }, pinned, run }, nodeId), [edges, pinned, run, nodeId]);
  const formContext: FormContext = useMemo(
    () => ({ nodeId, sampleItem: sample.item, paths: samplePaths(sample.item), organisation: organisation?.id, expressionFields: type?.expression_fields ?? [] }),
    [nodeId, sample.item, organisation?.id, type],
  );
  const uiSchema = useMemo(
    () => buildUiSchema(type?.config_schema ?? {}, type?.expression_fields ?? [], isMap ? ['fields'] : []),
    [type, isMap],
  );
  if (!node) return null;
  const mine = nodeFindings(findings, nodeId);
  const tabs: Tab[] = [...(readOnly ? [] : (['settings'] as Tab[])), ...(isMap && !readOnly ? (['mapping'] as Tab[]) : []), 'output', 'docs'];
  const retry = node.retry ?? type?.default_retry ?? { max_attempts: 1, backoff_s: 1 };

  return (
    <aside className="inspector" data-testid="inspector" aria-label="Node inspector">
      <header className="inspector-head">
        <div className={`fnode-icon cat-${(type?.category ?? '').toLowerCase().replace(/[^a-z]/g, '')}`}>
          <NodeIcon name={type?.icon ?? 'box'} label={type?.label ?? node.type} />
        </div>
        <div className="grow">
          <input
            className="inspector-title"
            value={node.label}
            disabled={readOnly}
            aria-label="Node name"
            data-testid="inspector-label"
            onChange={(e) => store.updateNode(nodeId, { label: e.target.value }, `label:${nodeId}`)}
          />
          <div className="muted small">{type ? `${type.label} · ${type.type}` : `Unknown type ${node.type}`}</div>
        </div>
      </header>
      {!readOnly && (
        <div className="row gap-s inspector-actions">
          <label className="switch" title="Disabled nodes pass nothing and are skipped">
            <input type="checkbox" checked={!node.disabled} onChange={(e) => store.setDisabled([nodeId], !e.target.checked)} data-testid="inspector-enabled" />
            <span>{node.disabled ? 'Disabled' : 'Enabled'}</span>
          </label>
          <button className="small" onClick={() => onRunNode?.(nodeId)} data-testid="run-node" title="Run only this node, using pinned or last-run data upstream">
            ▶ Run this node
          </button>
        </div>
      )}
      {mine.errors.length > 0 && (
        <div className="callout callout-error" data-testid="inspector-findings" role="alert">
          <FindingLines findings={mine.errors} />
        </div>
      )}
      {mine.warnings.length > 0 && (
        <div className="callout callout-warning" data-testid="inspector-warnings" role="status">
          <FindingLines findings={mine.warnings} />
        </div>
      )}
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)} data-testid={`inspector-tab-${t}`}>
            {t === 'settings' ? 'Settings' : t === 'mapping' ? 'Mapping' : t === 'output' ? 'Output' : 'Help'}
            {t === 'output' && run?.nodes[nodeId] && <span className={`dot dot-${run.nodes[nodeId].status}`} title={run.nodes[nodeId].status} />}
          </button>
        ))}
      </div>
      <div className="inspector-body">
        {tab === 'settings' && !readOnly && (
          <div data-testid="inspector-settings">
            {type && Object.keys(type.config_schema.properties ?? {}).length > (isMap ? 1 : 0) ? (
              <SettingsForm key={nodeId} nodeId={nodeId} schema={type.config_schema as RJSFSchema} uiSchema={uiSchema} config={node.config} formContext={formContext} />
            ) : (
              <p className="muted small">{type ? 'This node has no settings.' : 'This node type is not installed on the server.'}</p>
            )}
            {node.type === 'trigger.schedule' && <SchedulePreview config={node.config} />}
            <fieldset className="subsection">
              <legend>Error handling</legend>
              <label className="field">
                <span>When this node fails</span>
                <select value={node.on_error ?? 'fail'} data-testid="inspector-on-error" onChange={(e) => store.updateNode(nodeId, { on_error: e.target.value as OnError })}>
                  <option value="fail">Stop the run</option>
                  <option value="continue">Continue with the other items</option>
                  <option value="error_port">Send failed items to the error port</option>
                </select>
              </label>
              <div className="row gap-s">
                <label className="field grow">
                  <span>Max attempts</span>
                  <input
                    type="number"
                    min={1}
                    max={20}
                    value={retry.max_attempts}
                    data-testid="inspector-retry-attempts"
                    onChange={(e) => store.updateNode(nodeId, { retry: { ...retry, max_attempts: Math.max(1, Number(e.target.value) || 1) } })}
                  />
                </label>
                <label className="field grow">
                  <span>Backoff (s)</span>
                  <input
                    type="number"
                    min={0}
                    step={0.5}
                    value={retry.backoff_s}
                    data-testid="inspector-retry-backoff"
                    onChange={(e) => store.updateNode(nodeId, { retry: { ...retry, backoff_s: Math.max(0, Number(e.target.value) || 0) } })}
                  />
                </label>
              </div>
            </fieldset>
            {type?.side_effects && <CompensationSection key={nodeId} node={node} />}
            <label className="field">
              <span>Notes</span>
              <textarea rows={3} value={node.notes ?? ''} data-testid="inspector-notes" placeholder="Why this node exists, who owns it…" onChange={(e) => store.updateNode(nodeId, { notes: e.target.value }, `notes:${nodeId}`)} />
            </label>
          </div>
        )}
        {tab === 'mapping' && <Mapper nodeId={nodeId} config={node.config} />}
        {tab === 'output' && <OutputInspector nodeRun={run?.nodeRuns[nodeId]} state={run?.nodes[nodeId]} loading={!!run} />}
        {tab === 'docs' && (
          <div className="docs" data-testid="inspector-docs">
            {type?.description && <p>{type.description}</p>}
            {type?.docs ? <HelpText source={type.docs} testid="inspector-docs-text" /> : <p className="muted">No help text for this node type.</p>}
            {type && (
              <dl className="kv small">
                <dt>Inputs</dt>
                <dd>{type.inputs.map((p) => p.label).join(', ') || 'none (trigger)'}</dd>
                <dt>Outputs</dt>
                <dd>{type.outputs.map((p) => p.label).join(', ')}</dd>
                <dt>Side effects</dt>
                <dd>{type.side_effects ? 'yes: calls an external system' : 'no'}</dd>
              </dl>
            )}
          </div>
        )}
      </div>
    </aside>
  );
}

// The upstream samples feed the expression editors' $node completions (./upstreamContext).
export const Inspector = memo(function InspectorWithUpstream(props: Parameters<typeof InspectorView>[0]) {
  return (
    <UpstreamSamplesProvider nodeId={props.nodeId}>
      <InspectorView {...props} />
    </UpstreamSamplesProvider>
  );
});
