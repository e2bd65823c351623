// Shared fixtures for unit tests (node types shaped like /api/node-types/; runs and findings shaped like
// the API's, typed by the generated schema so a fixture cannot drift from what the server sends).
import type { Finding, FlowDocument, NodeRun, NodeType, RunDetail } from './api/types';

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

/** A run as GET /api/runs/{id}/ (or the websocket snapshot) sends it. */
export function runDetail(overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    id: 1, organisation: 1, flow: 1, flow_name: 'f', version: { id: 1, number: 1, state: 'published', environment: '' }, status: 'running',
    origin: 'manual', created_at: '', started_at: null, finished_at: null, duration_ms: null, error: null,
    correlation_id: '', replay_of: null, parent_run: null, retried_as: [], node_runs: [], compensations: [], last_seq: 0, document: doc(), input_items: [],
    output_items: null, ...overrides,
  };
}

export function nodeRun(overrides: Partial<NodeRun> & Pick<NodeRun, 'node_id'>): NodeRun {
  return {
    status: 'succeeded', attempt: 1, input_counts: {}, output_counts: {}, input_items: {}, output_items: {}, error: null,
    started_at: null, finished_at: null, duration_ms: null, next_attempt_at: null, waiting: null, ...overrides,
  };
}

export function finding(overrides: Partial<Finding> & Pick<Finding, 'message'>): Finding {
  return { code: 'test', node_id: null, edge_id: null, field: null, severity: 'error', ...overrides };
}
