/**
 * The history part of the schema (issue 13): an entity's events with field-level diffs, an entity folded up to a
 * sequence or a time, the events of a campaign by filter, and a command's trace through the sagas it caused.
 * Readable by a campaign's owners and game masters only. Sequences are stream sequences; times are the
 * stream's own timestamps (ISO-8601), the clock `--from <time>` of `cm tail` and `opt_start_time` speak.
 */
export const historyTypeDefs = /* GraphQL */ `
  enum EntityType {
    CAMPAIGN
    BRANCH
    KINGDOM
    LOCATION
    SETTLEMENT
    STRUCTURE
    STATE_VARIABLE
    FIELD_CONDITION
    WORLD_EVENT
  }

  "One event as the stream holds it, with where and when it was stored and who caused it."
  type HistoryEvent {
    seq: Int!
    "When the stream stored the event's commit (ISO-8601)."
    time: String!
    id: ID!
    type: String!
    campaignId: ID!
    branchId: ID!
    entityType: EntityType!
    entityId: ID!
    aggregateVersion: Int!
    data: JSON!
    userId: ID!
    commandId: String!
    correlationId: String!
    "The command id, or for a saga's command the id of the event that caused it."
    causationId: String!
    "The command's issuedAt."
    occurredAt: String!
  }

  "One field of the folded entity an event changed (null where the field was absent)."
  type FieldChange {
    field: String!
    before: JSON
    after: JSON
  }

  type HistoryEntry {
    event: HistoryEvent!
    changes: [FieldChange!]!
  }

  "A page of history, oldest first; pass endCursor as after for the next one."
  type HistoryPage {
    entries: [HistoryEntry!]!
    endCursor: Int
    hasNextPage: Boolean!
  }

  type EventPage {
    events: [HistoryEvent!]!
    endCursor: Int
    hasNextPage: Boolean!
  }

  "An entity folded by the command service's own evolve functions up to a point of the log."
  type EntitySnapshot {
    entityType: EntityType!
    entityId: ID!
    branchId: ID!
    "Highest sequence folded (0: none)."
    seq: Int!
    "Events folded, across the branch lineage."
    version: Int!
    "The decider's state; status ABSENT before the entity was created."
    state: JSON!
  }

  "A command of a trace: the events it wrote and, for a saga's command, the event that caused it."
  type TracedCommand {
    commandId: String!
    userId: ID!
    seq: Int!
    time: String!
    causedByEventId: String
    causedByCommandId: String
    events: [HistoryEvent!]!
  }

  type CommandTrace {
    correlationId: String!
    commands: [TracedCommand!]!
  }

  extend type Query {
    """
    An entity's events with what each changed, following its branch's lineage into the parent. Owners and GMs.
    The state variables of one owner are one aggregate: entityType STATE_VARIABLE, ownerType, and the owner's id as
    entityId (likewise in entityAt).
    """
    entityHistory(
      campaignId: ID!
      branchId: ID = "main"
      entityType: EntityType!
      entityId: ID!
      ownerType: OwnerType
      after: Int
      first: Int = 20
    ): HistoryPage!
    "The entity folded up to a sequence or a time (the latest when neither is given). Owners and GMs."
    entityAt(
      campaignId: ID!
      branchId: ID = "main"
      entityType: EntityType!
      entityId: ID!
      ownerType: OwnerType
      seq: Int
      time: String
    ): EntitySnapshot!
    "A campaign's events, by branch (all when absent), type, entity, sequence and time range; cursor = sequence. Owners and GMs."
    events(
      campaignId: ID!
      branchId: ID
      types: [String!]
      entityId: ID
      fromSeq: Int
      toSeq: Int
      fromTime: String
      toTime: String
      first: Int = 50
      after: Int
    ): EventPage!
    "A command, its events and the saga commands they caused, by command id or correlation id. Owners and GMs."
    commandTrace(campaignId: ID!, commandId: String, correlationId: String): CommandTrace!
  }
`;

/** GraphQL enum value ↔ domain entity type. */
export const entityTypeEnum = {
  CAMPAIGN: 'campaign',
  BRANCH: 'branch',
  KINGDOM: 'kingdom',
  LOCATION: 'location',
  SETTLEMENT: 'settlement',
  STRUCTURE: 'structure',
  STATE_VARIABLE: 'state-variable',
  FIELD_CONDITION: 'field-condition',
  WORLD_EVENT: 'world-event',
} as const;
