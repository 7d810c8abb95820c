import { randomUUID } from 'node:crypto';
import { entityTypeOfEvent, type AnyEvent, type EventData, type EventType } from '@cm/contracts';

/** A stored event as the command service writes it, in campaign `c1`, branch `main` unless told otherwise. */
export function event<T extends EventType>(
  type: T,
  data: EventData<T>,
  entityId: string,
  at: { campaignId?: string; branchId?: string } = {},
): AnyEvent {
  const commandId = randomUUID();
  return {
    id: `${commandId}:0`,
    type,
    schemaVersion: 1,
    campaignId: at.campaignId ?? 'c1',
    branchId: at.branchId ?? 'main',
    entityType: entityTypeOfEvent[type],
    entityId,
    aggregateVersion: 1,
    data,
    metadata: {
      commandId,
      correlationId: commandId,
      causationId: commandId,
      userId: 'gm-1',
      occurredAt: '2026-01-01T00:00:00.000Z',
    },
  } as AnyEvent;
}

const num = (value: number) => ({ type: 'number' as const, value });

/**
 * A small world: campaign c1 with kingdom k1 (variable taxRate), settlements s1 and s2 in k1, structures st1 and
 * st2 in s1, st3 in s2, and the conditions the invalidation tests reason about.
 */
export function world(): AnyEvent[] {
  return [
    event('CampaignCreated', { name: 'C', description: null, ownerId: 'gm-1' }, 'c1'),
    event('KingdomCreated', { name: 'Avalon' }, 'k1'),
    event('LocationCreated', { name: 'Vale', geometry: { type: 'Point', coordinates: [1, 2] } }, 'l1'),
    event('SettlementCreated', { kingdomId: 'k1', locationId: 'l1', name: 'Millbrook', level: 3 }, 's1'),
    event('SettlementCreated', { kingdomId: 'k1', locationId: 'l1', name: 'Hamlet', level: 1 }, 's2'),
    event(
      'StructureCreated',
      { settlementId: 's1', name: 'Mill', structureType: 'mill', level: 2, condition: 80 },
      'st1',
    ),
    event(
      'StructureCreated',
      { settlementId: 's1', name: 'Wall', structureType: 'wall', level: 4, condition: 50 },
      'st2',
    ),
    event(
      'StructureCreated',
      { settlementId: 's2', name: 'Well', structureType: 'well', level: 1, condition: 100 },
      'st3',
    ),
    event('StateVariableSet', { ownerType: 'kingdom', ownerId: 'k1', key: 'taxRate', value: num(0.1) }, 'kingdom~k1'),
    event(
      'StateVariableSet',
      { ownerType: 'settlement', ownerId: 's1', key: 'population', value: num(1000) },
      'settlement~s1',
    ),
    event(
      'StateVariableSet',
      { ownerType: 'settlement', ownerId: 's2', key: 'population', value: num(100) },
      'settlement~s2',
    ),
    // settlement.wealth: its structures' levels; settlement.taxes: population × the kingdom's rate;
    // settlement.rank: reads wealth; settlement.label: its own name only.
    condition('fc-wealth', 'settlement', 'wealth', { sum: ['structures', 'level'] }),
    condition('fc-taxes', 'settlement', 'taxes', {
      '*': [{ var: 'variables.population' }, { var: 'parent.variables.taxRate' }],
    }),
    condition('fc-rank', 'settlement', 'rank', { if: [{ '>=': [{ var: 'computed.wealth' }, 5] }, 'city', 'village'] }),
    condition('fc-label', 'settlement', 'label', { cat: [{ var: 'name' }, '!'] }),
    // structure.sturdy: its own condition; structure.grand: reads the settlement's level.
    condition('fc-sturdy', 'structure', 'sturdy', { '>': [{ var: 'condition' }, 60] }),
    condition('fc-grand', 'structure', 'grand', { '>=': [{ var: 'parent.level' }, 3] }),
  ];
}

export function condition(
  id: string,
  entityType: EventData<'FieldConditionDefined'>['entityType'],
  field: string,
  expression: unknown,
  opts: { entityId?: string; priority?: number; active?: boolean } = {},
): AnyEvent {
  return event(
    'FieldConditionDefined',
    {
      entityType,
      entityId: opts.entityId ?? null,
      field,
      expression: expression as never,
      priority: opts.priority ?? 0,
      active: opts.active ?? true,
    },
    id,
  );
}
