// Pure helpers behind the partner area: who sees it, gallery filters and version counts, parameter
// declaration (publish), the per-customer clone form -> clone payload, the diff rendering model and the
// conflict resolutions -> upgrade payload, branding checks. No React, no HTTP: tested in model.test.ts.
import type {
  BrandingSettings, CloneResult, CloneTarget, ConnectionSlot, DocNode, FlowDocument, GraphDiff, JSONSchema, JSONValue, Me, MergeConflict,
  NodeType, Organisation, Resolution, Template, TemplateInstance, TemplateParameter, ValueChange, ValueParameter,
} from '../api/types';

export const MANAGE_ROLES = ['admin', 'builder'];


/**
 * The partner whose area the user works in: the current organisation when it is a partner the user
 * administers or builds for, else the current customer's partner when the user manages that one.
 */
export function partnerOrgFor(me: Me, current: Organisation | null): Organisation | null {
  if (!current) return null;
  const manages = (o: Organisation | undefined) => !!o && o.kind === 'partner' && MANAGE_ROLES.includes(o.role);
  if (manages(current)) return current;
  const parent = current.parent != null ? me.organisations.find((o) => o.id === current.parent) : undefined;
  return manages(parent) ? parent! : null;
}

// --- gallery ------------------------------------------------------------------------------------------

export function categoriesOf(templates: Template[]): string[] {
  return [...new Set(templates.map((t) => t.category).filter(Boolean))].sort((a, b) => a.localeCompare(b));
}

export function filterTemplates(templates: Template[], search: string, category: string): Template[] {
  const q = search.trim().toLowerCase();
  return templates.filter(
    (t) =>
      (!category || (category === '__none__' ? !t.category : t.category === category)) &&
      (!q || `${t.name} ${t.description} ${t.category} ${t.tags.join(' ')}`.toLowerCase().includes(q)),
  );
}

/** Customers per version of one template, newest version first: [{version, customers}]. */
export function versionCounts(instances: TemplateInstance[], template: number): { version: number; customers: number }[] {
  const by = new Map<number, Set<number>>();
  for (const i of instances) {
    if (i.template !== template) continue;
    by.set(i.version, (by.get(i.version) ?? new Set()).add(i.customer));
  }
  return [...by.entries()].sort(([a], [b]) => b - a).map(([version, s]) => ({ version, customers: s.size }));
}

// --- parameters (publish) -----------------------------------------------------------------------------

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|private[_-]?key|access[_-]?key|credential)/i;
const PARAMETER_NAME = /^[a-z][a-z0-9_]{0,63}$/;

export const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** `/nodes/<node id>/config/<field>` (the server addresses nodes by id). */
export const valuePointer = (nodeId: string, field: string) => `/nodes/${escapePointer(nodeId)}/config/${escapePointer(field)}`;

/** [node id, field] of a value pointer, or null. */
export function parsePointer(pointer: string): { node: string; field: string } | null {
  const segs = pointer.split('/').slice(1).map(unescapePointer);
  if (segs.length < 4 || segs[0] !== 'nodes' || segs[2] !== 'config') return null;
  return { node: segs[1], field: segs.slice(3).join('.') };
}

/** The connector a node type talks to (`x-connection` on a config property), if any. */
export function connectorOf(nodeType: NodeType | undefined): string | null {
  for (const p of Object.values(nodeType?.config_schema?.properties ?? {})) {
    const c = (p as JSONSchema)['x-connection'];
    if (typeof c === 'string' && c) return c;
  }
  return null;
}

/** A parameter name from free text: lower-case letters, digits and _, starting with a letter. */
export function paramName(text: string): string {
  let s = text.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/_+/g, '_');
  if (!/^[a-z]/.test(s)) s = `p_${s}`;
  return s.slice(0, 64).replace(/_+$/, '') || 'p';
}

export interface SlotSuggestion {
  connector: string;
  nodes: { id: string; label: string }[];
}

/** One connection slot per connector used by the flow's nodes (the nodes listed in document order). */
export function suggestSlots(doc: FlowDocument | undefined, types: NodeType[]): SlotSuggestion[] {
  const byType = new Map(types.map((t) => [t.type, t]));
  const out = new Map<string, SlotSuggestion>();
  for (const n of doc?.nodes ?? []) {
    const connector = connectorOf(byType.get(n.type));
    if (!connector) continue;
    const s = out.get(connector) ?? { connector, nodes: [] };
    s.nodes.push({ id: n.id, label: n.label || n.id });
    out.set(connector, s);
  }
  return [...out.values()];
}

/** Config fields of a node that may become value parameters (no connection, secret or connection-picker). */
export function overridableFields(node: DocNode | undefined, nodeType: NodeType | undefined): string[] {
  if (!node) return [];
  const props = nodeType?.config_schema?.properties ?? {};
  const keys = [...Object.keys(props), ...Object.keys(node.config ?? {}).filter((k) => !(k in props))];
  return keys.filter((k) => k !== 'connection' && !SECRET_KEY.test(k) && !(props[k] as JSONSchema | undefined)?.['x-connection']);
}

export function fieldTitle(nodeType: NodeType | undefined, field: string): string {
  const t = (nodeType?.config_schema?.properties?.[field] as JSONSchema | undefined)?.title;
  return typeof t === 'string' && t ? t : field;
}

/** A parameter in the publish dialog: as declared, a value's default left to the flow's current value. */
export type ParameterRow = ConnectionSlot | Omit<ValueParameter, 'default'>;

/** Problems in a declaration list, keyed `<index>.<field>` (the server's `parameters[i].<field>`). */
export function declarationProblems(params: ParameterRow[], doc?: FlowDocument): Record<string, string> {
  const problems: Record<string, string> = {};
  const ids = doc ? new Set(doc.nodes.map((n) => n.id)) : null;
  const seen = new Set<string>();
  params.forEach((p, i) => {
    if (!PARAMETER_NAME.test(p.name)) problems[`${i}.name`] = 'Lower-case letters, digits and _, starting with a letter.';
    else if (seen.has(p.name)) problems[`${i}.name`] = `“${p.name}” is declared twice.`;
    seen.add(p.name);
    if (p.kind === 'connection') {
      if (!p.nodes.length) problems[`${i}.nodes`] = 'Pick at least one node that uses this connection.';
      else if (ids && p.nodes.some((n) => !ids.has(n))) problems[`${i}.nodes`] = 'A node of this slot is not in the flow.';
    } else {
      const at = parsePointer(p.pointer);
      if (!at) problems[`${i}.pointer`] = 'Pick a node and a field.';
      else if (ids && !ids.has(at.node)) problems[`${i}.pointer`] = 'The node is not in the flow.';
    }
  });
  return problems;
}

/** Server errors (`parameters[2].name`) -> the dialog's keys (`2.name`). */
export function declarationServerErrors(errors: Record<string, string[] | string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(errors ?? {})) {
    const m = /^parameters\[(\d+)\]\.?(.*)$/.exec(k);
    const msg = Array.isArray(v) ? v.join(' ') : String(v);
    if (m) out[`${m[1]}.${m[2] || 'name'}`] = msg;
  }
  return out;
}

// --- clone form -> payload ----------------------------------------------------------------------------

export type InputKind = 'boolean' | 'number' | 'text' | 'json';

/** How a value parameter is edited, from its default: checkbox, number, text, or JSON for lists/objects. */
export function inputKind(p: ValueParameter): InputKind {
  const d = p.default;
  if (typeof d === 'boolean') return 'boolean';
  if (typeof d === 'number') return 'number';
  if (d !== null && typeof d === 'object') return 'json';
  return 'text';
}

/** What an input holds: text for text/number/json inputs, a boolean for checkboxes. */
export type FieldValue = string | boolean;

export interface CustomerForm {
  /** The copy's flow name ('' = the template's name). */
  name: string;
  values: Record<string, FieldValue>;
  /** Connection id per slot; null = left unbound. */
  connections: Record<string, number | null>;
}

export function initialField(p: ValueParameter): FieldValue {
  const d = p.default;
  switch (inputKind(p)) {
    case 'boolean':
      return d === true;
    case 'json':
      return JSON.stringify(d, null, 2);
    default:
      return d === null || d === undefined ? '' : String(d);
  }
}

export function initialCustomerForm(params: TemplateParameter[]): CustomerForm {
  const values: Record<string, FieldValue> = {};
  const connections: Record<string, number | null> = {};
  for (const p of params) {
    if (p.kind === 'value') values[p.name] = initialField(p);
    else connections[p.name] = null;
  }
  return { name: '', values, connections };
}

/** One input's value for the API, `undefined` when blank (the template's default applies), or an error. */
export function parseField(p: ValueParameter, v: FieldValue | undefined): { value?: JSONValue; error?: string } {
  const kind = inputKind(p);
  if (kind === 'boolean') return { value: v === true };
  const text = typeof v === 'string' ? v : '';
  if (!text.trim()) return p.required ? { error: 'Required.' } : {};
  if (kind === 'number') {
    const n = Number(text);
    return Number.isFinite(n) ? { value: n } : { error: 'Enter a number.' };
  }
  if (kind === 'json') {
    try {
      return { value: JSON.parse(text) as JSONValue };
    } catch {
      return { error: 'Not valid JSON.' };
    }
  }
  return { value: text };
}

export interface ClonePlan {
  payload: { version: number; customers: CloneTarget[] };
  /** Errors by customer id, then by parameter name. */
  errors: Record<number, Record<string, string>>;
}

/** The clone request for the chosen customers (in the given order) and the client-side problems. */
export function buildClonePayload(
  version: number,
  params: TemplateParameter[],
  customers: number[],
  forms: Record<number, CustomerForm | undefined>,
): ClonePlan {
  const errors: Record<number, Record<string, string>> = {};
  const targets: CloneTarget[] = customers.map((customer) => {
    const form = forms[customer] ?? initialCustomerForm(params);
    const parameters: Record<string, JSONValue> = {};
    for (const p of params) {
      if (p.kind === 'connection') {
        const id = form.connections[p.name];
        if (id != null) parameters[p.name] = id;
        continue;
      }
      const { value, error } = parseField(p, form.values[p.name]);
      if (error) (errors[customer] ??= {})[p.name] = error;
      else if (value !== undefined) parameters[p.name] = value;
    }
    const target: CloneTarget = { customer, parameters };
    if (form.name.trim()) target.name = form.name.trim();
    return target;
  });
  return { payload: { version, customers: targets }, errors };
}

/** Connection slots a customer's form leaves unbound (the copy is made; those steps need a connection). */
export function unboundSlots(params: TemplateParameter[], form: CustomerForm | undefined): ConnectionSlot[] {
  return params.filter((p): p is ConnectionSlot => p.kind === 'connection' && form?.connections[p.name] == null);
}

export interface CloneOutcome {
  customer: number;
  ok: boolean;
  flow?: number;
  unbound: string[];
  /** Parameters naming ERP records not checked yet (the ERP slot is unbound): checked at publish. */
  pending: string[];
  errors: { field: string; messages: string[] }[];
}

/** Per-customer results in the request's order (the server answers one result per target, in order). */
export function cloneOutcomes(customers: number[], results: CloneResult[]): CloneOutcome[] {
  return customers.map((customer, i) => {
    const r = results[i]?.customer === customer ? results[i] : results.find((x) => x.customer === customer);
    if (!r) return { customer, ok: false, unbound: [], pending: [], errors: [{ field: 'customer', messages: ['No result was returned.'] }] };
    return {
      customer,
      ok: r.ok,
      flow: r.flow,
      unbound: r.unbound ?? [],
      pending: r.pending_checks ?? [],
      errors: Object.entries(r.errors ?? {}).map(([field, m]) => ({ field, messages: Array.isArray(m) ? m : [String(m)] })),
    };
  });
}

// --- diff rendering -----------------------------------------------------------------------------------

export interface FieldRow {
  /** Dotted field below the node (`config.url`) or the document key. */
  field: string;
  op: ValueChange['op'];
  old: string;
  new: string;
}

export interface NodeRow {
  kind: 'added' | 'removed' | 'changed';
  id: string;
  label: string;
  type: string;
  fields: FieldRow[];
}

export interface DiffModel {
  empty: boolean;
  summary: string;
  nodes: NodeRow[];
  edges: { kind: 'added' | 'removed'; text: string }[];
  document: FieldRow[];
}

/** A value as one line of text: JSON, '—' when absent, clipped to `max` characters. */
export function showValue(v: unknown, missing: boolean, max = 160): string {
  if (missing || v === undefined) return '—';
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** `/nodes/n2/config/fields` -> `config.fields` (relative to the node), `/title` -> `title`. */
export function fieldOf(path: string, nodeId?: string): string {
  let segs = path.split('/').slice(1).map(unescapePointer);
  if (nodeId !== undefined && segs[0] === 'nodes' && segs[1] === nodeId) segs = segs.slice(2);
  return segs.join('.') || '(whole value)';
}

const fieldRow = (c: ValueChange, nodeId?: string): FieldRow => ({
  field: fieldOf(c.path, nodeId),
  op: c.op,
  old: showValue(c.old, c.op === 'add'),
  new: showValue(c.new, c.op === 'remove'),
});

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function diffModel(diff: GraphDiff | null | undefined): DiffModel {
  const d: GraphDiff = {
    nodes_added: [], nodes_removed: [], nodes_changed: [], edges_added: [], edges_removed: [], document_changes: [],
    summary: { nodes_added: 0, nodes_removed: 0, nodes_changed: 0, edges_added: 0, edges_removed: 0, fields_changed: 0 },
    ...(diff ?? {}),
  };
  const node = (kind: NodeRow['kind'], n: { id: string; label: string | null; type: string | null }, fields: FieldRow[] = []): NodeRow => ({
    kind,
    id: String(n.id),
    label: n.label || String(n.id),
    type: n.type ?? '',
    fields,
  });
  const nodes = [
    ...d.nodes_added.map((n) => node('added', n)),
    ...d.nodes_removed.map((n) => node('removed', n)),
    ...d.nodes_changed.map((n) => node('changed', n, n.changes.map((c) => fieldRow(c, String(n.id))))),
  ];
  const edge = (e: GraphDiff['edges_added'][number]) =>
    `${e.source}${e.source_port !== 'main' ? `:${e.source_port}` : ''} → ${e.target}${e.target_port !== 'main' ? `:${e.target_port}` : ''}`;
  const edges = [
    ...d.edges_added.map((e) => ({ kind: 'added' as const, text: edge(e) })),
    ...d.edges_removed.map((e) => ({ kind: 'removed' as const, text: edge(e) })),
  ];
  const document = d.document_changes.map((c) => fieldRow(c));
  const parts: string[] = [];
  if (d.nodes_added.length) parts.push(`${plural(d.nodes_added.length, 'node')} added`);
  if (d.nodes_removed.length) parts.push(`${plural(d.nodes_removed.length, 'node')} removed`);
  if (d.nodes_changed.length) parts.push(`${plural(d.nodes_changed.length, 'node')} changed`);
  if (edges.length) parts.push(plural(edges.length, 'connection') + ' changed');
  if (document.length) parts.push(plural(document.length, 'flow setting') + ' changed');
  const empty = !nodes.length && !edges.length && !document.length;
  return { empty, summary: empty ? 'No differences' : parts.join(', '), nodes, edges, document };
}

// --- conflict resolutions -> upgrade payload ----------------------------------------------------------

export type Choice = { kind: 'ours' | 'theirs' | 'base' } | { kind: 'value'; text: string };
/** Choices per instance id, then per conflict path. */
export type Choices = Record<number, Record<string, Choice | undefined>>;

/** A custom value: JSON when it parses (`42`, `true`, `"x"`, `{...}`), else the text itself. */
export function customValue(text: string): JSONValue {
  try {
    return JSON.parse(text) as JSONValue;
  } catch {
    return text;
  }
}

export function toResolution(c: Choice): Resolution {
  return c.kind === 'value' ? { value: customValue(c.text) } : c.kind;
}

/**
 * `resolutions` for POST upgrade: only the chosen instances and only paths that are conflicts of that
 * instance; `unresolved` counts the conflicts left without a choice per instance (those are reported
 * back as `conflicts` and the copy is left unchanged).
 */
export function buildResolutions(
  instances: number[],
  conflicts: Record<number, MergeConflict[] | undefined>,
  choices: Choices,
): { resolutions: Record<string, Record<string, Resolution>>; unresolved: Record<number, number> } {
  const resolutions: Record<string, Record<string, Resolution>> = {};
  const unresolved: Record<number, number> = {};
  for (const id of instances) {
    const list = conflicts[id] ?? [];
    const mine = choices[id] ?? {};
    let open = 0;
    for (const c of list) {
      const choice = mine[c.path];
      if (!choice) {
        open += 1;
        continue;
      }
      (resolutions[String(id)] ??= {})[c.path] = toResolution(choice);
    }
    if (open) unresolved[id] = open;
  }
  return { resolutions, unresolved };
}

/** Every conflict of the instances resolved the same way ("take the template's everywhere"). */
export function chooseAll(instances: number[], conflicts: Record<number, MergeConflict[] | undefined>, kind: 'ours' | 'theirs' | 'base'): Choices {
  const out: Choices = {};
  for (const id of instances) out[id] = Object.fromEntries((conflicts[id] ?? []).map((c) => [c.path, { kind }]));
  return out;
}

// --- branding -----------------------------------------------------------------------------------------

export const BRANDING_FIELDS: (keyof BrandingSettings)[] = [
  'product_name', 'logo_url', 'favicon_url', 'primary_color', 'accent_color', 'support_email', 'support_url', 'login_text', 'host_name',
];

export type BrandingForm = Record<keyof BrandingSettings, string>;

export function brandingForm(b: Partial<BrandingSettings> | null | undefined, fallbackName: string): BrandingForm {
  return {
    product_name: b?.product_name || fallbackName,
    logo_url: b?.logo_url ?? '',
    favicon_url: b?.favicon_url ?? '',
    primary_color: b?.primary_color || '#4f46e5',
    accent_color: b?.accent_color || '#0ea5e9',
    support_email: b?.support_email ?? '',
    support_url: b?.support_url ?? '',
    login_text: b?.login_text ?? '',
    host_name: b?.host_name ?? '',
  };
}

const HEX = /^#[0-9a-fA-F]{6}$/;
const IMAGE_URL = /^(https:\/\/|\/|data:image\/)/;

/** Client-side checks matching BrandingSerializer. */
export function brandingProblems(f: BrandingForm): Partial<Record<keyof BrandingSettings, string>> {
  const p: Partial<Record<keyof BrandingSettings, string>> = {};
  if (!f.product_name.trim()) p.product_name = 'Enter the product name.';
  for (const k of ['logo_url', 'favicon_url'] as const) {
    if (f[k].trim() && !IMAGE_URL.test(f[k].trim())) p[k] = 'Use an https:// URL, a /static/ path or a data:image URL.';
  }
  for (const k of ['primary_color', 'accent_color'] as const) if (!HEX.test(f[k])) p[k] = 'A colour like #3558d4.';
  if (f.support_email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(f.support_email.trim())) p.support_email = 'Enter an e-mail address.';
  if (f.support_url.trim() && !/^https?:\/\/\S+$/.test(f.support_url.trim())) p.support_url = 'Use an http(s):// URL.';
  if (f.host_name.trim() && !/^[a-z0-9.-]+$/i.test(f.host_name.trim())) p.host_name = 'A host name such as integrations.example.com.';
  return p;
}

export function brandingPayload(f: BrandingForm): Partial<BrandingSettings> {
  const out: Partial<BrandingSettings> = {};
  for (const k of BRANDING_FIELDS) {
    const v = f[k].trim();
    if (k === 'host_name') out.host_name = v.toLowerCase() || null;
    else (out as Record<string, string>)[k] = v;
  }
  return out;
}

/** Logos render in <img>; the page's CSP (img-src 'self' data: blob:) blocks other hosts. */
export const logoBlockedByCsp = (url: string) => /^https?:\/\//i.test(url.trim());
