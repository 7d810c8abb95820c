import { z } from 'zod';
import {
  geometrySchema,
  jsonLogicSchema,
  ownerTypeSchema,
  roleSchema,
  variableKeySchema,
  variableValueSchema,
  worldEventEffectSchema,
  type EntityType,
} from './domain.js';

const named = z.object({ name: z.string() });
const none = z.object({});

/**
 * Data schemas of every event, by past-tense type name, at their current schema version. Old versions are
 * never rewritten: a breaking change bumps `CURRENT_SCHEMA_VERSION` and lifts old versions on read (`commit-codec.ts`).
 */
export const eventDataSchemas = {
  CampaignCreated: z.object({ name: z.string(), description: z.string().nullable(), ownerId: z.string() }),
  CampaignRenamed: named,
  CampaignArchived: none,
  MemberAdded: z.object({ userId: z.string(), role: roleSchema }),
  MemberRoleChanged: z.object({ userId: z.string(), role: roleSchema }),
  MemberRemoved: z.object({ userId: z.string() }),

  BranchForked: z.object({ name: z.string(), parentBranchId: z.string(), forkedAtSeq: z.number().int() }),
  BranchRenamed: named,
  BranchDeleted: none,

  KingdomCreated: named,
  KingdomRenamed: named,
  KingdomDeleted: none,

  LocationCreated: z.object({ name: z.string(), geometry: geometrySchema }),
  LocationRenamed: named,
  LocationReshaped: z.object({ geometry: geometrySchema }),
  LocationDeleted: none,

  SettlementCreated: z.object({
    kingdomId: z.string(),
    locationId: z.string(),
    name: z.string(),
    level: z.number().int(),
  }),
  SettlementRenamed: named,
  SettlementLevelSet: z.object({ level: z.number().int() }),
  SettlementMoved: z.object({ locationId: z.string() }),
  SettlementDeleted: z.object({ kingdomId: z.string() }),

  StructureCreated: z.object({
    settlementId: z.string(),
    name: z.string(),
    structureType: z.string(),
    level: z.number().int(),
    condition: z.number().int(),
  }),
  StructureRenamed: named,
  StructureTypeSet: z.object({ structureType: z.string() }),
  StructureLevelSet: z.object({ level: z.number().int() }),
  StructureConditionSet: z.object({ condition: z.number().int() }),
  StructureDeleted: z.object({ settlementId: z.string() }),

  StateVariableSet: z.object({
    ownerType: ownerTypeSchema,
    ownerId: z.string(),
    key: variableKeySchema,
    value: variableValueSchema,
  }),
  StateVariableUnset: z.object({ ownerType: ownerTypeSchema, ownerId: z.string(), key: variableKeySchema }),

  FieldConditionDefined: z.object({
    entityType: ownerTypeSchema,
    entityId: z.string().nullable(),
    field: z.string(),
    expression: jsonLogicSchema,
    priority: z.number().int(),
    active: z.boolean(),
  }),
  /** Carries the full new definition, so a projection needs no prior state. */
  FieldConditionUpdated: z.object({
    field: z.string(),
    expression: jsonLogicSchema,
    priority: z.number().int(),
    active: z.boolean(),
  }),
  FieldConditionDeleted: none,

  WorldEventScheduled: z.object({
    name: z.string(),
    description: z.string().nullable(),
    scheduledAt: z.string(),
    expiresAt: z.string().nullable(),
    effects: z.array(worldEventEffectSchema),
  }),
  WorldEventActivated: none,
  WorldEventExpired: none,
  WorldEventResolved: z.object({ outcome: z.string().nullable(), effects: z.array(worldEventEffectSchema) }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** Current schema version per event type; bump it together with an upcaster for the old version in `commit-codec.ts`. */
export const CURRENT_SCHEMA_VERSION: Record<EventType, number> = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, 1]),
) as Record<EventType, number>;

/**
 * The aggregate type each event belongs to: the one event→aggregate mapping. It types `DomainEvent.entityType`
 * per event type, so `EventOf<A>` and every per-aggregate event union derive from it.
 */
export const entityTypeOfEvent = {
  CampaignCreated: 'campaign',
  CampaignRenamed: 'campaign',
  CampaignArchived: 'campaign',
  MemberAdded: 'campaign',
  MemberRoleChanged: 'campaign',
  MemberRemoved: 'campaign',
  BranchForked: 'branch',
  BranchRenamed: 'branch',
  BranchDeleted: 'branch',
  KingdomCreated: 'kingdom',
  KingdomRenamed: 'kingdom',
  KingdomDeleted: 'kingdom',
  LocationCreated: 'location',
  LocationRenamed: 'location',
  LocationReshaped: 'location',
  LocationDeleted: 'location',
  SettlementCreated: 'settlement',
  SettlementRenamed: 'settlement',
  SettlementLevelSet: 'settlement',
  SettlementMoved: 'settlement',
  SettlementDeleted: 'settlement',
  StructureCreated: 'structure',
  StructureRenamed: 'structure',
  StructureTypeSet: 'structure',
  StructureLevelSet: 'structure',
  StructureConditionSet: 'structure',
  StructureDeleted: 'structure',
  StateVariableSet: 'state-variable',
  StateVariableUnset: 'state-variable',
  FieldConditionDefined: 'field-condition',
  FieldConditionUpdated: 'field-condition',
  FieldConditionDeleted: 'field-condition',
  WorldEventScheduled: 'world-event',
  WorldEventActivated: 'world-event',
  WorldEventExpired: 'world-event',
  WorldEventResolved: 'world-event',
} as const satisfies Record<EventType, EntityType>;

/** The aggregate type of events of type `T`. */
export type EntityTypeOfEvent<T extends EventType> = (typeof entityTypeOfEvent)[T];

/** Who and why, carried from the HTTP request through the command into every event. */
export interface EventMetadata {
  commandId: string;
  correlationId: string;
  /** The id of what caused this event: the command id, or for saga commands the triggering event id. */
  causationId: string;
  userId: string;
  /** ISO-8601; the command's `issuedAt`. */
  occurredAt: string;
}

/** One domain event as stored inside a commit. */
export interface DomainEvent<T extends EventType = EventType> {
  /** Unique event id: `<commitId>:<index>`. */
  id: string;
  type: T;
  schemaVersion: number;
  campaignId: string;
  branchId: string;
  /** The aggregate type, fixed by the event type (`entityTypeOfEvent`). */
  entityType: EntityTypeOfEvent<T>;
  entityId: string;
  /** 1-based position of this event in its aggregate's history (within its branch lineage). */
  aggregateVersion: number;
  data: EventData<T>;
  metadata: EventMetadata;
}

/** Discriminated union of every event, for exhaustive switches. */
export type AnyEvent = { [K in EventType]: DomainEvent<K> }[EventType];
/** The events of aggregate type `A` (or of a union of types), discriminated by `type`. */
export type EventOf<A extends EntityType> = Extract<AnyEvent, { entityType: A }>;

/**
 * One JetStream message: every event one command produced for its aggregate, written atomically. Its
 * stream sequence is the global position of all of them.
 */
export interface Commit {
  commitId: string;
  events: AnyEvent[];
}
