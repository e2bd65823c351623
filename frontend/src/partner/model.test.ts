import { describe, expect, it } from 'vitest';
import type { FlowDocument, GraphDiff, Me, MergeConflict, NodeType, Organisation, Template, TemplateInstance, TemplateParameter } from '../api/types';
import {
  brandingForm, brandingPayload, brandingProblems, buildClonePayload, buildResolutions, chooseAll, cloneOutcomes, declarationProblems,
  declarationServerErrors, diffModel, fieldOf, filterTemplates, initialCustomerForm, overridableFields, paramName, parsePointer,
  partnerOrgFor, suggestSlots, valuePointer, versionCounts, type ParameterRow,
} from './model';

const org = (o: Partial<Organisation>): Organisation => ({ id: 1, name: 'P', kind: 'partner', role: 'admin', parent: null, actions: [], ...o });

describe('partnerOrgFor', () => {
  const partner = org({ id: 1 });
  const customer = org({ id: 2, kind: 'customer', parent: 1 });
  const me = (orgs: Organisation[]): Me => ({ id: 1, username: 'u', email: '', display_name: '', organisations: orgs });
  it('is the current partner for admins and builders', () => {
    expect(partnerOrgFor(me([partner]), partner)?.id).toBe(1);
    expect(partnerOrgFor(me([{ ...partner, role: 'builder' }]), { ...partner, role: 'builder' })?.id).toBe(1);
    expect(partnerOrgFor(me([{ ...partner, role: 'viewer' }]), { ...partner, role: 'viewer' })).toBeNull();
  });
  it("is the current customer's partner when the user manages it", () => {
    expect(partnerOrgFor(me([partner, customer]), customer)?.id).toBe(1);
    expect(partnerOrgFor(me([customer]), customer)).toBeNull();
  });
});

describe('gallery', () => {
  const t = (id: number, name: string, category: string): Template => ({
    id, organisation: 1, name, description: '', category, tags: [], source_flow: null, latest_version: 1, created_at: '', updated_at: '',
  });
  it('filters by search and category', () => {
    const list = [t(1, 'Won deals', 'CRM'), t(2, 'Invoices', 'ERP'), t(3, 'Misc', '')];
    expect(filterTemplates(list, 'won', '').map((x) => x.id)).toEqual([1]);
    expect(filterTemplates(list, '', 'ERP').map((x) => x.id)).toEqual([2]);
    expect(filterTemplates(list, '', '__none__').map((x) => x.id)).toEqual([3]);
  });
  it('counts customers per version, newest first', () => {
    const i = (id: number, template: number, customer: number, version: number) => ({ id, template, customer, version }) as TemplateInstance;
    expect(versionCounts([i(1, 1, 10, 1), i(2, 1, 11, 2), i(3, 1, 12, 2), i(4, 2, 10, 1)], 1)).toEqual([
      { version: 2, customers: 2 },
      { version: 1, customers: 1 },
    ]);
  });
});

const TYPES = [
  { type: 'crm.salesforce.query', config_schema: { properties: { connection: { type: 'string', 'x-connection': 'salesforce' }, soql: { type: 'string', title: 'SOQL' }, api_key: { type: 'string' } } } },
  { type: 'transform.map', config_schema: { properties: { fields: { type: 'array' } } } },
] as unknown as NodeType[];
const DOC: FlowDocument = {
  schema_version: 1,
  nodes: [
    { id: 'q', type: 'crm.salesforce.query', label: 'Query', position: { x: 0, y: 0 }, config: { soql: 'x' } },
    { id: 'q/2', type: 'crm.salesforce.query', label: '', position: { x: 0, y: 0 }, config: {} },
    { id: 'm', type: 'transform.map', label: 'Map', position: { x: 0, y: 0 }, config: { fields: [], extra: 1 } },
  ],
  edges: [],
};

describe('parameter declaration', () => {
  it('suggests one connection slot per connector with its nodes', () => {
    expect(suggestSlots(DOC, TYPES)).toEqual([{ connector: 'salesforce', nodes: [{ id: 'q', label: 'Query' }, { id: 'q/2', label: 'q/2' }] }]);
  });
  it('lists overridable fields without connections and secrets', () => {
    expect(overridableFields(DOC.nodes[0], TYPES[0])).toEqual(['soql']);
    expect(overridableFields(DOC.nodes[2], TYPES[1])).toEqual(['fields', 'extra']);
  });
  it('builds and parses escaped pointers', () => {
    expect(valuePointer('q/2', 'a~b')).toBe('/nodes/q~12/config/a~0b');
    expect(parsePointer('/nodes/q~12/config/a~0b')).toEqual({ node: 'q/2', field: 'a~b' });
    expect(parsePointer('/nodes/q')).toBeNull();
  });
  it('makes valid names', () => {
    expect(paramName('Salesforce Connection')).toBe('salesforce_connection');
    expect(paramName('2nd value')).toBe('p_2nd_value');
  });
  it('reports bad declarations by index and field', () => {
    const params: ParameterRow[] = [
      { name: 'crm', kind: 'connection', connector: 'salesforce', nodes: [], required: false, description: '' },
      { name: 'crm', kind: 'value', pointer: '/nodes/zz/config/soql', required: true, description: '' },
      { name: 'Bad', kind: 'value', pointer: '', required: false, description: '' },
    ];
    expect(declarationProblems(params, DOC)).toEqual({
      '0.nodes': 'Pick at least one node that uses this connection.',
      '1.name': '“crm” is declared twice.',
      '1.pointer': 'The node is not in the flow.',
      '2.name': 'Lower-case letters, digits and _, starting with a letter.',
      '2.pointer': 'Pick a node and a field.',
    });
    expect(declarationServerErrors({ 'parameters[1].pointer': ['nope'], changelog: ['x'] })).toEqual({ '1.pointer': 'nope' });
  });
});

describe('clone payload', () => {
  const params: TemplateParameter[] = [
    { name: 'crm', kind: 'connection', connector: 'salesforce', nodes: ['q'], required: false, description: '' },
    { name: 'soql', kind: 'value', pointer: '/nodes/q/config/soql', required: true, default: 'SELECT Id', description: '' },
    { name: 'limit', kind: 'value', pointer: '/nodes/q/config/limit', required: false, default: 10, description: '' },
    { name: 'dry', kind: 'value', pointer: '/nodes/q/config/dry', required: false, default: false, description: '' },
    { name: 'fields', kind: 'value', pointer: '/nodes/m/config/fields', required: false, default: [], description: '' },
  ];
  it('prefills defaults and sends typed values, connection ids and names per customer', () => {
    const a = initialCustomerForm(params);
    expect(a).toEqual({ name: '', values: { soql: 'SELECT Id', limit: '10', dry: false, fields: '[]' }, connections: { crm: null } });
    const b = { name: ' Acme copy ', values: { ...a.values, limit: '25', dry: true, fields: '[{"name":"x"}]' }, connections: { crm: 42 } };
    const plan = buildClonePayload(3, params, [7, 8], { 7: a, 8: b });
    expect(plan.errors).toEqual({});
    expect(plan.payload).toEqual({
      version: 3,
      customers: [
        { customer: 7, parameters: { soql: 'SELECT Id', limit: 10, dry: false, fields: [] } },
        { customer: 8, name: 'Acme copy', parameters: { crm: 42, soql: 'SELECT Id', limit: 25, dry: true, fields: [{ name: 'x' }] } },
      ],
    });
  });
  it('omits blank optional values (the default applies) and reports bad ones per customer', () => {
    const f = initialCustomerForm(params);
    const bad = { ...f, values: { ...f.values, soql: ' ', limit: 'ten', fields: '[' } };
    const okBlank = { ...f, values: { ...f.values, limit: '' } };
    const plan = buildClonePayload(1, params, [1, 2], { 1: bad, 2: okBlank });
    expect(plan.errors).toEqual({ 1: { soql: 'Required.', limit: 'Enter a number.', fields: 'Not valid JSON.' } });
    expect(plan.payload.customers[1].parameters).toEqual({ soql: 'SELECT Id', dry: false, fields: [] });
  });
  it('maps results to customers with flow links or errors by field', () => {
    const out = cloneOutcomes([5, 6], [
      { customer: 5, ok: true, errors: {}, flow: 90, unbound: ['crm'], pending_checks: ['items'] },
      { customer: 6, ok: false, errors: { crm: ['Not a salesforce connection of B'], items: ["item for items['1']['time'] (id 99) not found in NetSuite 'NS'."] } },
    ]);
    expect(out).toEqual([
      { customer: 5, ok: true, flow: 90, unbound: ['crm'], pending: ['items'], errors: [] },
      {
        customer: 6,
        ok: false,
        flow: undefined,
        unbound: [],
        pending: [],
        errors: [
          { field: 'crm', messages: ['Not a salesforce connection of B'] },
          { field: 'items', messages: ["item for items['1']['time'] (id 99) not found in NetSuite 'NS'."] },
        ],
      },
    ]);
  });
});

describe('diff model', () => {
  const diff: GraphDiff = {
    nodes_added: [{ id: 'n9', type: 'http.request', label: 'Notify' }],
    nodes_removed: [{ id: 'old', type: 'transform.map', label: null }],
    nodes_changed: [
      {
        id: 'q', type: 'crm.salesforce.query', label: 'Query',
        changes: [
          { path: '/nodes/q/config/soql', op: 'replace', old: 'SELECT Id', new: 'SELECT Id, Name' },
          { path: '/nodes/q/config/a~1b', op: 'add', old: null, new: 5 },
          { path: '/nodes/q/label', op: 'remove', old: 'Q', new: null },
        ],
      },
    ],
    edges_added: [{ id: 'e1', source: 'q', source_port: 'main', target: 'n9', target_port: 'main' }],
    edges_removed: [{ id: 'e0', source: 'if', source_port: 'true', target: 'old', target_port: 'main' }],
    document_changes: [],
    summary: { nodes_added: 1, nodes_removed: 1, nodes_changed: 1, edges_added: 1, edges_removed: 1, fields_changed: 3 },
  };
  it('lists nodes with field diffs old -> new and edges', () => {
    const m = diffModel(diff);
    expect(m.empty).toBe(false);
    expect(m.summary).toBe('1 node added, 1 node removed, 1 node changed, 2 connections changed');
    expect(m.nodes.map((n) => [n.kind, n.id, n.label])).toEqual([['added', 'n9', 'Notify'], ['removed', 'old', 'old'], ['changed', 'q', 'Query']]);
    expect(m.nodes[2].fields).toEqual([
      { field: 'config.soql', op: 'replace', old: '"SELECT Id"', new: '"SELECT Id, Name"' },
      { field: 'config.a/b', op: 'add', old: '—', new: '5' },
      { field: 'label', op: 'remove', old: '"Q"', new: '—' },
    ]);
    expect(m.edges).toEqual([{ kind: 'added', text: 'q → n9' }, { kind: 'removed', text: 'if:true → old' }]);
  });
  it('is empty for no differences', () => {
    expect(diffModel(null)).toMatchObject({ empty: true, summary: 'No differences' });
    expect(fieldOf('/title')).toBe('title');
  });
});

describe('resolutions payload', () => {
  const c = (path: string): MergeConflict => ({ kind: 'field', node: 'q', path, base: 1, ours: 2, theirs: 3 });
  const conflicts = { 1: [c('/nodes/q/config/a'), c('/nodes/q/config/b')], 2: [c('/nodes/q/config/a')], 3: [] };
  it('sends choices of the chosen instances and counts unresolved conflicts', () => {
    const { resolutions, unresolved } = buildResolutions([1, 2, 3], conflicts, {
      1: { '/nodes/q/config/a': { kind: 'ours' }, '/nodes/q/config/b': { kind: 'value', text: '{"x": 1}' } },
      2: { '/nodes/q/config/a': { kind: 'value', text: 'plain text' }, '/stale': { kind: 'theirs' } },
    });
    expect(resolutions).toEqual({
      1: { '/nodes/q/config/a': 'ours', '/nodes/q/config/b': { value: { x: 1 } } },
      2: { '/nodes/q/config/a': { value: 'plain text' } },
    });
    expect(unresolved).toEqual({});
  });
  it('reports instances with open conflicts and resolves all at once', () => {
    expect(buildResolutions([1, 2], conflicts, {}).unresolved).toEqual({ 1: 2, 2: 1 });
    const all = chooseAll([1, 2], conflicts, 'theirs');
    expect(buildResolutions([1], conflicts, all).resolutions).toEqual({ 1: { '/nodes/q/config/a': 'theirs', '/nodes/q/config/b': 'theirs' } });
  });
});

describe('branding', () => {
  it('checks the form like the serializer and trims the payload', () => {
    const f = { ...brandingForm({}, 'Acme'), logo_url: 'javascript:alert(1)', primary_color: 'red', host_name: ' Apps.Example.com ' };
    expect(brandingProblems(f)).toEqual({ logo_url: expect.any(String), primary_color: 'A colour like #3558d4.' });
    const ok = { ...f, logo_url: '/static/brand/x.svg', primary_color: '#112233' };
    expect(brandingProblems(ok)).toEqual({});
    expect(brandingPayload(ok)).toMatchObject({ product_name: 'Acme', logo_url: '/static/brand/x.svg', host_name: 'apps.example.com' });
    expect(brandingPayload({ ...ok, host_name: '' }).host_name).toBeNull();
  });
});
