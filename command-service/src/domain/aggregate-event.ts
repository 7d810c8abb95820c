import type { AnyEvent, EntityType, EventType } from '@cm/contracts';

/**
 * The event types of each aggregate. `EventOf<A>` in contracts resolves to `never` because `DomainEvent` types
 * `entityType` as the whole `EntityType` union rather than per event type, so the deciders key their event
 * unions by event type instead. A unit test holds this list to `entityTypeOfEvent`.
 */
export const EVENT_TYPES_BY_AGGREGATE = {
  campaign: ['CampaignCreated', 'CampaignRenamed', 'CampaignArchived', 'MemberAdded', 'MemberRoleChanged', 'MemberRemoved'],
  branch: ['BranchForked', 'BranchRenamed', 'BranchDeleted'],
  kingdom: ['KingdomCreated', 'KingdomRenamed', 'KingdomDeleted'],
  location: ['LocationCreated', 'LocationRenamed', 'LocationReshaped', 'LocationDeleted'],
  settlement: ['SettlementCreated', 'SettlementRenamed', 'SettlementLevelSet', 'SettlementMoved', 'SettlementDeleted'],
  structure: [
    'StructureCreated',
    'StructureRenamed',
    'StructureTypeSet',
    'StructureLevelSet',
    'StructureConditionSet',
    'StructureDeleted',
  ],
  'state-variable': ['StateVariableSet', 'StateVariableUnset'],
  'field-condition': ['FieldConditionDefined', 'FieldConditionUpdated', 'FieldConditionDeleted'],
  'world-event': ['WorldEventScheduled', 'WorldEventActivated', 'WorldEventExpired', 'WorldEventResolved'],
} as const satisfies { [A in EntityType]: readonly EventType[] };

/** The stored events of aggregate type `A`, discriminated by `type`. */
export type AggregateEvent<A extends EntityType> = Extract<AnyEvent, { type: (typeof EVENT_TYPES_BY_AGGREGATE)[A][number] }>;
