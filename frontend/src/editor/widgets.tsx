// rjsf widgets: expression editor with live server preview, and a connection picker.
import { useEffect, useState } from 'react';
import type { FieldProps, WidgetProps } from '@rjsf/utils';
import { ApiError } from '../api/client';
import { connectionsApi } from '../api/connections';
import { flowsApi, type PreviewMode } from '../api/flows';
import { connectionRef, type Connection, type FlowSummary, type Item } from '../api/types';
import { CodeEditor } from './CodeEditor';
import { useDebounced } from '../lib/hooks';
import { preview } from '../lib/format';

export interface FormContext {
  nodeId: string;
  sampleItem: Item | null;
  paths: string[];
  organisation: number | undefined;
  /** The node type's bare-expression fields (conditions); every other expression field is a template. */
  expressionFields?: string[];
}

/** How a field is evaluated at run time: bare JSONata for the type's expression fields, else a template. */
export function fieldMode(name: string, expressionFields: string[] | undefined): PreviewMode {
  const last = (f: string) => f.split(/[.[\]]+/).filter(Boolean).pop();
  return (expressionFields ?? []).some((f) => f === name || last(f) === name) ? 'expression' : 'template';
}

type PreviewState = { state: 'idle' } | { state: 'loading' } | { state: 'ok'; result: unknown } | { state: 'error'; message: string; position?: number | null };

export function ExpressionField({
  value, onChange, item, paths, testid, label, multiline, mode = 'template',
}: { value: string; onChange: (v: string) => void; item: Item | null; paths: string[]; testid: string; label?: string; multiline?: boolean; mode?: PreviewMode }) {
  const [pv, setPv] = useState<PreviewState>({ state: 'idle' });
  const debounced = useDebounced(value, 450);
  const itemKey = JSON.stringify(item);
  useEffect(() => {
    if (!debounced.trim()) {
      setPv({ state: 'idle' });
      return;
    }
    if (mode === 'template' && !debounced.includes('{{')) {
      // A literal is a literal (a plain URL, `USD`): nothing to evaluate, nothing to ask the server.
      setPv({ state: 'ok', result: debounced });
      return;
    }
    let alive = true;
    setPv({ state: 'loading' });
    flowsApi.previewExpression(debounced, item ?? undefined, mode).then(
      (r) => alive && setPv(r.error ? { state: 'error', message: r.error, position: r.position } : { state: 'ok', result: r.result }),
      (e: unknown) => {
        if (!alive) return;
        if (e instanceof ApiError && e.status === 400) {
          const b = e.body as { error?: string; position?: number };
          setPv({ state: 'error', message: b.error ?? e.message, position: b.position });
        } else setPv({ state: 'error', message: e instanceof Error ? `Preview unavailable: ${e.message}` : 'Preview unavailable' });
      },
    );
    return () => {
      alive = false;
    };
    // item is compared by content
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debounced, itemKey, mode]);
  return (
    <div className="expr-field">
      <CodeEditor
        mode="expression"
        value={value}
        onChange={onChange}
        paths={paths}
        testid={testid}
        ariaLabel={label}
        placeholder="{{ $item.field }}"
        minLines={multiline ? 4 : 1}
        error={pv.state === 'error' ? { message: pv.message, position: pv.position } : null}
      />
      <div className={`expr-preview expr-${pv.state}`} data-testid={`${testid}-preview`} aria-live="polite">
        {pv.state === 'idle' && <span className="muted">{item ? 'Type an expression to preview it on the sample item' : 'No sample item: run the flow or pin data upstream'}</span>}
        {pv.state === 'loading' && <span className="muted">Evaluating…</span>}
        {pv.state === 'ok' && pv.result === undefined && !item && <span className="muted">Valid. No sample item to evaluate it on yet.</span>}
        {pv.state === 'ok' && (pv.result !== undefined || item) && (
          <>
            <span className="muted">Result:</span> <code>{preview(pv.result, 200)}</code>
          </>
        )}
        {pv.state === 'error' && <span className="error-text" data-testid={`${testid}-error`}>{pv.message}</span>}
      </div>
    </div>
  );
}

export function ExpressionWidget(props: WidgetProps) {
  const ctx = (props.registry.formContext ?? {}) as FormContext;
  return (
    <ExpressionField
      value={typeof props.value === 'string' ? props.value : props.value === undefined ? '' : JSON.stringify(props.value)}
      onChange={(v) => props.onChange(v === '' ? undefined : v)}
      item={ctx.sampleItem ?? null}
      paths={ctx.paths ?? []}
      testid={`field-${props.id}`}
      label={props.label}
      mode={fieldMode(props.name, ctx.expressionFields)}
    />
  );
}

/**
 * rjsf field for expression values. Strings are edited as text; a non-string value (a JSON body) is
 * shown as JSON and written back parsed when it still parses, so its type survives.
 */
export function ExpressionRjsfField(props: FieldProps) {
  const ctx = (props.registry.formContext ?? {}) as FormContext;
  const v = props.formData as unknown;
  const isText = v === undefined || v === null || typeof v === 'string';
  const text = isText ? ((v as string | null | undefined) ?? '') : JSON.stringify(v, null, 2);
  const multiline = !!(props.uiSchema?.['ui:options'] as { multiline?: boolean } | undefined)?.multiline;
  const title = props.schema.title ?? props.name;
  return (
    <div className="form-group field-expression">
      {title && (
        <label className="control-label" htmlFor={props.fieldPathId.$id}>
          {title}
          {props.required && <span className="required">*</span>}
        </label>
      )}
      {props.schema.description && <p className="field-description">{props.schema.description}</p>}
    <ExpressionField
      value={text}
      onChange={(t) => {
        let next: unknown = t === '' ? undefined : t;
        if (!isText) {
          try {
            next = JSON.parse(t);
          } catch {
            next = t;
          }
        }
        props.onChange(next, props.fieldPathId.path);
      }}
      item={ctx.sampleItem ?? null}
      paths={ctx.paths ?? []}
      testid={`field-${props.fieldPathId.$id}`}
      label={props.schema.title ?? props.name}
      multiline={multiline || !isText}
      mode={fieldMode(props.name, ctx.expressionFields)}
    />
    </div>
  );
}

let flowsCache: { org: number | undefined; p: Promise<FlowSummary[]> } | null = null;

export function FlowPickerWidget(props: WidgetProps) {
  const ctx = (props.registry.formContext ?? {}) as FormContext;
  const [flows, setFlows] = useState<FlowSummary[] | null>(null);
  useEffect(() => {
    if (!flowsCache || flowsCache.org !== ctx.organisation) {
      flowsCache = { org: ctx.organisation, p: flowsApi.list({ organisation: ctx.organisation, status: 'published', limit: 200 }).then((p) => p.results) };
    }
    let alive = true;
    flowsCache.p.then((f) => alive && setFlows(f), () => alive && setFlows([]));
    return () => {
      alive = false;
    };
  }, [ctx.organisation]);
  return (
    <select id={props.id} data-testid={`field-${props.id}`} value={props.value ?? ''} disabled={!flows} onChange={(e) => props.onChange(e.target.value ? Number(e.target.value) : undefined)}>
      <option value="">{flows ? 'Choose a published flow…' : 'Loading flows…'}</option>
      {flows?.map((f) => (
        <option key={f.id} value={f.id}>
          {f.name}
        </option>
      ))}
    </select>
  );
}

const connectionCache = new Map<string, Promise<Connection[]>>();

export function ConnectionWidget(props: WidgetProps) {
  const ctx = (props.registry.formContext ?? {}) as FormContext;
  const connector = String(props.schema['x-connection'] ?? '');
  const label = connector || 'any';
  const [list, setList] = useState<Connection[] | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const key = `${ctx.organisation}:${connector}`;
    let p = connectionCache.get(key);
    if (!p) {
      p = connectionsApi.forConnector(ctx.organisation, connector);
      connectionCache.set(key, p);
      p.catch(() => connectionCache.delete(key));
    }
    let alive = true;
    p.then((l) => alive && setList(l), () => alive && setFailed(true));
    return () => {
      alive = false;
    };
  }, [ctx.organisation, connector]);
  const value = props.value === undefined || props.value === null ? '' : String(props.value);
  if (failed || (list && list.length === 0)) {
    return (
      <div>
        <input
          id={props.id}
          data-testid={`field-${props.id}`}
          value={value}
          placeholder={`${label} connection id`}
          onChange={(e) => props.onChange(e.target.value || undefined)}
        />
        <div className="muted small">{failed ? 'Connections could not be listed; enter the connection id.' : `No ${label} connection yet; enter an id or create one in Connections.`}</div>
      </div>
    );
  }
  return (
    <select id={props.id} data-testid={`field-${props.id}`} value={value} disabled={!list} onChange={(e) => props.onChange(e.target.value || undefined)}>
      <option value="">{list ? `Choose a${connector ? ` ${connector}` : ''} connection…` : 'Loading connections…'}</option>
      {list?.map((c) => (
        <option key={c.id} value={connectionRef(c)}>
          {c.name}
          {c.environment ? ` (${c.environment})` : ''}
        </option>
      ))}
      {value && list && !list.some((c) => connectionRef(c) === value) && <option value={value}>{value} (not found)</option>}
    </select>
  );
}
