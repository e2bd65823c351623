import { describe, expect, it } from 'vitest';
import { nodeFindings } from './nodeFindings';
import { toReactFlow } from '../store/reactflow';
import { DocumentStore } from '../store/documentStore';
import { TYPES, doc, finding } from '../test-fixtures';

// The draft save answers a shared template parameter that another copy of the customer sets otherwise
// (flowbuilder/flows/shared_values.py) with a warning on the node that holds the value.
const shared = finding({
  code: 'shared_parameter_disagrees',
  node_id: 'b',
  field: 'fields.0.value',
  severity: 'warning',
  message: "owner_address is 'erp' in 'ERP side' but 'crm' in 'CRM side' ... Set owner_address to the same value in both (node 'b'), then publish both flows.",
});

describe('a warning finding in the editor', () => {
  it('marks its node as a warning on the canvas, not as an error', () => {
    const s = new DocumentStore({ types: TYPES });
    s.load({ id: 1, draft: { document: doc(), revision: 1, saved_by: null, saved_at: null, findings: [] } });
    s.saveSucceeded({ revision: 2, saved_at: 'now', saved_by: 'me', findings: [shared, finding({ node_id: 'c', message: 'is required' })] }, s.beginSave().version);
    const { nodes } = toReactFlow(s.getState(), new Map(TYPES.map((t) => [t.type, t])), {});
    expect(nodes.find((n) => n.id === 'b')!.data).toMatchObject({ severity: 'warning', messages: [`fields.0.value: ${shared.message}`] });
    expect(nodes.find((n) => n.id === 'c')!.data).toMatchObject({ severity: 'error' });
    expect(nodes.find((n) => n.id === 'a')!.data).toMatchObject({ severity: null, messages: [] });
  });

  it('is listed apart from the errors in the inspector', () => {
    const error = finding({ node_id: 'b', field: 'fields', message: 'is required' });
    const other = finding({ node_id: 'c', severity: 'warning', message: 'elsewhere' });
    expect(nodeFindings([shared, error, other], 'b')).toEqual({ errors: [error], warnings: [shared] });
    expect(nodeFindings([shared], 'b').errors).toEqual([]);
    expect(nodeFindings([shared, error], 'a')).toEqual({ errors: [], warnings: [] });
  });
});
