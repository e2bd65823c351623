// The domain types in ./types are the generated OpenAPI types (./schema.d.ts), not hand-written copies.
// These are compile-time checks (tsc / `npm run typecheck`); the runtime assertions are trivially true.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ROLES } from './types';
import type {
  ConnectionDetail, ConnectorInfo, CustomerOverview, Draft, EventType, FlowDetail, FlowDocument, FlowSummary, Me, NodeRun, NodeType,
  Organisation, Role, RunDetail, RunEvent, RunStatus, RunSummary, Schemas, Template, TemplateParameter, Trigger, UpgradeResult,
} from './types';

describe('API types come from the generated schema', () => {
  it('flows', () => {
    expectTypeOf<FlowSummary>().toEqualTypeOf<Schemas['Flow']>();
    expectTypeOf<Omit<FlowDetail, 'draft'>>().toEqualTypeOf<Omit<Schemas['FlowDetail'], 'draft'>>();
    expectTypeOf<Omit<Draft, 'document'>>().toEqualTypeOf<Omit<Schemas['Draft'], 'document'>>();
    // The draft document is the editor's model of the schema's JSON object.
    expectTypeOf<FlowDocument>().toExtend<Schemas['Draft']['document']>();
    expect(true).toBe(true);
  });

  it('runs', () => {
    expectTypeOf<RunSummary>().toEqualTypeOf<Schemas['Run']>();
    expectTypeOf<RunStatus>().toEqualTypeOf<Schemas['RunStatusEnum']>();
    type Overridden = 'document' | 'node_runs' | 'input_items' | 'output_items';
    expectTypeOf<Omit<RunDetail, Overridden>>().toEqualTypeOf<Omit<Schemas['RunDetail'], Overridden>>();
    expectTypeOf<Omit<NodeRun, 'input_items' | 'output_items'>>().toEqualTypeOf<Omit<Schemas['NodeRun'], 'input_items' | 'output_items'>>();
    expectTypeOf<RunDetail>().toExtend<Schemas['RunDetail']>();
  });

  it('node types and the session', () => {
    type Overridden = 'config_schema' | 'inputs' | 'outputs';
    expectTypeOf<Omit<NodeType, Overridden>>().toEqualTypeOf<Omit<Schemas['NodeType'], Overridden>>();
    expectTypeOf<NodeType>().toExtend<Schemas['NodeType']>();
    expectTypeOf<Me>().toEqualTypeOf<Schemas['Me']>();
    expectTypeOf<Organisation>().toEqualTypeOf<Schemas['MeOrganisation']>();
    expectTypeOf<Me['organisations'][number]['role']>().toEqualTypeOf<Schemas['RoleEnum']>();
  });

  it('the event catalogue and the partner, connection and trigger areas', () => {
    expectTypeOf<EventType>().toEqualTypeOf<Schemas['EventTypeEnum']>();
    expectTypeOf<RunEvent['type']>().toEqualTypeOf<EventType>();
    expectTypeOf<(typeof ROLES)[number]>().toEqualTypeOf<Role>();
    expectTypeOf<CustomerOverview>().toEqualTypeOf<Schemas['CustomerOverview']>();
    expectTypeOf<Template>().toEqualTypeOf<Schemas['Template']>();
    expectTypeOf<TemplateParameter['kind']>().toEqualTypeOf<'value' | 'connection'>();
    expectTypeOf<UpgradeResult['status']>().toEqualTypeOf<Schemas['UpgradeResultStatusEnum']>();
    expectTypeOf<ConnectionDetail>().toEqualTypeOf<Schemas['Connection']>();
    expectTypeOf<ConnectorInfo>().toExtend<Schemas['Connector']>();
    expectTypeOf<Trigger>().toEqualTypeOf<Schemas['Trigger']>();
    expect(ROLES).toHaveLength(6);
  });
});
