// In-memory fixtures for the development mock of docs/api.md (used only with FB_MOCK=1).
const obj = (properties: Record<string, any>, required: string[] = []) => ({ type: 'object', properties, required });
const expr = (title: string, extra: Record<string, any> = {}) => ({ type: 'string', title, 'x-expression': true, ...extra });
const conn = (connector: string) => ({ type: 'string', title: 'Connection', 'x-connection': connector });
const main = [{ name: 'main', label: 'main' }];

function t(type: string, label: string, category: string, icon: string, config_schema: any, more: Record<string, any> = {}) {
  return {
    type, label, category, icon, description: more.description ?? '', docs: more.docs ?? '', inputs: more.inputs ?? main, outputs: more.outputs ?? main,
    config_schema, side_effects: !!more.side_effects, is_trigger: !!more.is_trigger, default_retry: more.default_retry ?? { max_attempts: 1, backoff_s: 1 },
    expression_fields: more.expression_fields ?? [],
  };
}

export const NODE_TYPES = [
  t('trigger.manual', 'Manual trigger', 'Trigger', 'play', obj({}), { is_trigger: true, inputs: [], description: 'Start the flow by hand with input items.' }),
  t('trigger.webhook', 'Webhook', 'Trigger', 'webhook', obj({ respond: { type: 'string', enum: ['immediately', 'when_done'], default: 'immediately', title: 'Respond' } }), { is_trigger: true, inputs: [], description: 'Start the flow when a system POSTs to the webhook URL.' }),
  t('trigger.schedule', 'Schedule', 'Trigger', 'clock', obj({ cron: { type: 'string', title: 'Cron', default: '0 6 * * *' }, timezone: { type: 'string', default: 'Europe/Amsterdam' } }, ['cron']), { is_trigger: true, inputs: [] }),
  t('transform.map', 'Map fields', 'Transform', 'shuffle', obj({
    fields: { type: 'array', title: 'Fields', default: [], items: obj({ name: { type: 'string', title: 'Field', minLength: 1 }, value: { title: 'Value', 'x-expression': true } }, ['name']) },
    keep_other_fields: { type: 'boolean', title: 'Keep other fields', default: true },
  }), { description: 'Build new items from expressions over the incoming item.', docs: 'Each target field gets the value of its expression.\nUse {{ $item.Name }} to copy a field, or JSONata such as {{ $uppercase($item.Name) }}.' }),
  t('transform.filter', 'Filter', 'Transform', 'filter', obj({ condition: expr('Keep items where', { default: '' }) }, ['condition']), { description: 'Keep the items for which the condition is true.' }),
  t('transform.sort', 'Sort', 'Transform', 'sort', obj({ by: expr('Sort by'), order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' } })),
  t('transform.dedupe', 'Remove duplicates', 'Transform', 'layers', obj({ key: expr('Key') })),
  t('logic.if', 'If', 'Logic', 'git-branch', obj({ condition: expr('Condition') }, ['condition']), { outputs: [{ name: 'true', label: 'true' }, { name: 'false', label: 'false' }], description: 'Route each item to true or false.' }),
  t('logic.switch', 'Switch', 'Logic', 'git-branch', {
    ...obj({ rules: { type: 'array', title: 'Rules', minItems: 1, items: obj({ port: { type: 'string', title: 'Port' }, label: { type: 'string', title: 'Label' }, condition: { type: 'string', title: 'Condition', minLength: 1 } }, ['condition']) }, mode: { type: 'string', enum: ['first', 'all'], default: 'first' } }, ['rules']),
    'x-output-ports': { from: 'rules', name: 'port', label: 'label', then: ['fallback'] },
  }, { outputs: [{ name: 'fallback', label: 'Fallback' }], expression_fields: ['rules[].condition'], description: 'Route items by the first matching rule.' }),
  t('logic.merge', 'Merge', 'Logic', 'merge', obj({ mode: { type: 'string', enum: ['append', 'join_by_key'], default: 'append' }, key: { type: 'string' } }), { inputs: [{ name: 'left', label: 'left' }, { name: 'right', label: 'right' }] }),
  t('flow.wait', 'Wait', 'Flow', 'pause', obj({ seconds: { type: 'integer', minimum: 1, default: 60 } })),
  t('flow.approval', 'Human approval', 'Flow', 'check', obj({ approvers: { type: 'string', title: 'Approver group' }, timeout_h: { type: 'integer', default: 48 } })),
  t('http.request', 'HTTP request', 'HTTP', 'globe', obj({
    method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], default: 'GET' },
    url: expr('URL', { format: 'uri-reference' }),
    body: expr('Body'),
    connection: { type: ['string', 'null'], title: 'Connection', 'x-widget': 'connection-picker' },
  }, ['url']), { side_effects: true, default_retry: { max_attempts: 3, backoff_s: 2 }, description: 'Call any REST API through the safe HTTP client.' }),
  t('crm.salesforce.query', 'Salesforce: SOQL query', 'CRM', 'cloud', obj({ connection: conn('salesforce'), soql: expr('SOQL', { 'x-widget': 'code', default: "SELECT Id, Name, Amount FROM Opportunity WHERE StageName = 'Closed Won'" }) }, ['connection', 'soql']), { side_effects: true, default_retry: { max_attempts: 5, backoff_s: 2 }, description: 'Run a SOQL query; one item per record.' }),
  t('crm.salesforce.upsert', 'Salesforce: upsert record', 'CRM', 'cloud', obj({ connection: conn('salesforce'), object: { type: 'string', default: 'Account' }, external_id_field: { type: 'string' }, record: obj({ Name: { type: 'string' }, Website: { type: 'string' }, Industry: { type: 'string' } }) }, ['connection']), { side_effects: true }),
  t('psa.kantata.create_workspace', 'Kantata: create workspace', 'PSA', 'briefcase', obj({
    connection: conn('kantata'),
    record: obj({ title: { type: 'string' }, customer_name: { type: 'string' }, start_date: { type: 'string' }, budget: { type: 'number' }, currency: { type: 'string' } }),
  }, ['connection']), { side_effects: true, default_retry: { max_attempts: 5, backoff_s: 2 }, description: 'Create a Kantata OX workspace (project) for a won opportunity.' }),
  t('erp.netsuite.upsert_customer', 'NetSuite: upsert customer', 'ERP', 'database', obj({
    connection: conn('netsuite'),
    record: obj({ companyName: { type: 'string' }, email: { type: 'string' }, externalId: { type: 'string' }, subsidiary: { type: 'string' } }),
  }, ['connection']), { side_effects: true }),
];

export const OPPS = [
  { Id: '006A1', Name: 'Acme — ERP rollout', Amount: 120000, CloseDate: '2026-11-20', Account: { Name: 'Acme Corp', Website: 'acme.example' }, Owner: { Email: 'ana@partner.example' } },
  { Id: '006A2', Name: 'Globex — PSA migration', Amount: 64000, CloseDate: '2026-11-21', Account: { Name: 'Globex', Website: 'globex.example' }, Owner: { Email: 'bo@partner.example' } },
  { Id: '006A3', Name: 'Initech — support retainer', Amount: 18000, CloseDate: '2026-11-22', Account: { Name: 'Initech', Website: 'initech.example' }, Owner: { Email: 'ana@partner.example' } },
];

export function oppFlowDocument() {
  return {
    schema_version: 1,
    nodes: [
      { id: 'n_hook', type: 'trigger.webhook', label: 'Opportunity won', position: { x: 0, y: 120 }, config: { respond: 'immediately' } },
      { id: 'n_query', type: 'crm.salesforce.query', label: 'Load opportunity', position: { x: 280, y: 120 }, config: { connection: 'conn_1', soql: "SELECT Id, Name, Amount, Account.Name FROM Opportunity WHERE Id = '{{ $item.Id }}'" }, retry: { max_attempts: 5, backoff_s: 2 }, on_error: 'fail' },
      { id: 'n_map', type: 'transform.map', label: 'Shape workspace', position: { x: 560, y: 120 }, config: { fields: [{ name: 'title', value: '{{ $item.Name }}' }, { name: 'customer_name', value: '{{ $item.Account.Name }}' }], keep_other: false } },
      { id: 'n_if', type: 'logic.if', label: 'Big deal?', position: { x: 840, y: 120 }, config: { condition: '{{ $item.budget > 50000 }}' } },
      { id: 'n_ws', type: 'psa.kantata.create_workspace', label: 'Create workspace', position: { x: 1120, y: 40 }, config: { connection: '', record: {} }, on_error: 'error_port' },
      { id: 'n_http', type: 'http.request', label: 'Notify Slack', position: { x: 1120, y: 220 }, config: { method: 'POST', url: '' } },
    ],
    edges: [
      { id: 'e1', source: 'n_hook', source_port: 'main', target: 'n_query', target_port: 'main' },
      { id: 'e2', source: 'n_query', source_port: 'main', target: 'n_map', target_port: 'main' },
      { id: 'e3', source: 'n_map', source_port: 'main', target: 'n_if', target_port: 'main' },
      { id: 'e4', source: 'n_if', source_port: 'true', target: 'n_ws', target_port: 'main' },
      { id: 'e5', source: 'n_if', source_port: 'false', target: 'n_http', target_port: 'main' },
    ],
    notes: [{ id: 'note_1', text: 'Runs when Salesforce marks an opportunity Closed Won.\nOwner: delivery ops.', position: { x: 0, y: -80 }, width: 240, height: 110 }],
  };
}
