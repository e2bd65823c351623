// Shared fixtures for unit tests (node types shaped like /api/node-types/).
import type { FlowDocument, NodeType } from './api/types';

const base = {
  icon: 'box', description: '', docs: '', side_effects: false, is_trigger: false,
  default_retry: { max_attempts: 1, backoff_s: 1 }, expression_fields: [] as string[],
  inputs: [{ name: 'main', label: 'main' }], outputs: [{ name: 'main', label: 'main' }],
  config_schema: { type: 'object', properties: {} },
};

export const TYPES: NodeType[] = [
  { ...base, type: 'trigger.manual', label: 'Manual trigger', category: 'Trigger', is_trigger: true, inputs: [] },
  {
    ...base, type: 'transform.map', label: 'Map fields', category: 'Transform',
    config_schema: { type: 'object', properties: { fields: { type: 'array', default: [], items: { type: 'object' } }, keep_other: { type: 'boolean', default: false } } },
  },
  {
    ...base, type: 'logic.if', label: 'If', category: 'Logic',
    outputs: [{ name: 'true', label: 'true' }, { name: 'false', label: 'false' }],
  },
  {
    ...base, type: 'logic.merge', label: 'Merge', category: 'Logic',
    inputs: [{ name: 'left', label: 'left' }, { name: 'right', label: 'right' }],
  },
];

export function doc(): FlowDocument {
  return {
    schema_version: 1,
    nodes: [
      { id: 'a', type: 'trigger.manual', label: 'Start', position: { x: 0, y: 0 }, config: {} },
      { id: 'b', type: 'transform.map', label: 'Map', position: { x: 200, y: 0 }, config: {} },
      { id: 'c', type: 'logic.if', label: 'If', position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'a', source_port: 'main', target: 'b', target_port: 'main' },
      { id: 'e2', source: 'b', source_port: 'main', target: 'c', target_port: 'main' },
    ],
    notes: [],
  };
}
