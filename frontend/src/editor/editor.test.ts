import { describe, expect, it } from 'vitest';
import { buildUiSchema } from './uiSchema';
import { pathExpression, readRows } from './mapperModel';
import { connectorTargets, sampleFor } from './sample';
import { DocumentStore } from '../store/documentStore';
import { TYPES, doc, nodeRun, runDetail } from '../test-fixtures';
import type { NodeType } from '../api/types';

describe('buildUiSchema', () => {
  it('picks expression and connection widgets from schema annotations', () => {
    const ui = buildUiSchema(
      {
        type: 'object',
        properties: {
          connection: { type: 'string', 'x-connection': 'salesforce' },
          soql: { type: 'string', 'x-expression': true },
          url: { type: 'string' },
          fields: { type: 'array', items: { type: 'object', properties: { value: { type: 'string', 'x-expression': true } } } },
        },
      },
      ['url'],
      ['fields'],
    );
    expect(ui.connection).toEqual({ 'ui:widget': 'connection' });
    expect(ui.soql).toEqual({ 'ui:field': 'expression' });
    expect(ui.url).toEqual({ 'ui:field': 'expression' });
    expect(ui.fields['ui:widget']).toBe('hidden');
    expect(ui.fields.items.value).toEqual({ 'ui:field': 'expression' });
  });
  it('follows expression_fields paths into arrays and maps x-widget hints', () => {
    const ui = buildUiSchema(
      {
        type: 'object',
        properties: {
          rules: { type: 'array', items: { type: 'object', properties: { condition: { type: 'string' }, port: { type: 'string' } } } },
          soql: { type: 'string', 'x-widget': 'code' },
          connection: { type: ['string', 'null'], 'x-widget': 'connection-picker' },
          flow_id: { type: 'integer', 'x-widget': 'flow-picker' },
        },
      },
      ['rules[].condition'],
    );
    expect(ui.rules.items.condition).toEqual({ 'ui:field': 'expression' });
    expect(ui.rules.items.port).toBeUndefined();
    expect(ui.soql).toEqual({ 'ui:field': 'expression', 'ui:options': { multiline: true } });
    expect(ui.connection).toEqual({ 'ui:widget': 'connection' });
    expect(ui.flow_id).toEqual({ 'ui:widget': 'flow' });
  });
});

describe('mapper helpers', () => {
  it('reads rows from a list or an object', () => {
    expect(readRows({ fields: [{ name: 'a', value: '{{ $item.x }}' }] })).toEqual([{ name: 'a', value: '{{ $item.x }}' }]);
    expect(readRows({ fields: { a: 'x', b: 2 } })).toEqual([{ name: 'a', value: 'x' }, { name: 'b', value: '2' }]);
    expect(readRows({})).toEqual([]);
    expect(pathExpression('Account.Name')).toBe('{{ $item.Account.Name }}');
  });
  it('offers a connector node record properties as targets', () => {
    const t = { ...TYPES[1], type: 'psa.kantata.create_workspace', config_schema: { type: 'object', properties: { connection: { type: 'string', 'x-connection': 'kantata' }, record: { type: 'object', properties: { title: { type: 'string' }, budget: { type: 'number' } } } } } } as NodeType;
    expect(connectorTargets(t)).toEqual(['title', 'budget']);
    expect(connectorTargets(TYPES[1])).toEqual([]);
  });
  it('takes sample items from pinned data first, then the last run', () => {
    const s = new DocumentStore({ types: TYPES });
    s.load({ id: 1, draft: { document: doc(), revision: 1, saved_by: null, saved_at: null, findings: [] } });
    expect(sampleFor(s.getState(), 'b').source).toBe('none');
    s.runStarted(1);
    s.runSnapshot(runDetail({
      status: 'succeeded', last_seq: 1,
      node_runs: [nodeRun({ node_id: 'a', output_counts: { main: 1 }, output_items: { main: [{ Name: 'run' }] }, duration_ms: 1 })],
    }));
    expect(sampleFor(s.getState(), 'b')).toMatchObject({ source: 'run', item: { Name: 'run' }, upstream: 'a' });
    s.setPinned('a', [{ Name: 'pinned' }]);
    expect(sampleFor(s.getState(), 'b')).toMatchObject({ source: 'pinned', item: { Name: 'pinned' } });
  });
});
