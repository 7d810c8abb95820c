import type { EntityType } from './domain.js';
import type { EventType } from './events.js';

/**
 * What the realtime gateway pushes for one change: one event, or (with coalescing) the latest state of one
 * entity over a short window. The same object is the plain-SSE `data:` and the GraphQL `EntityUpdate`.
 */
export interface RealtimeUpdate {
  /** Stream sequence of the (last) event this update covers; the SSE `id:`. */
  seq: number;
  /** Stream sequence of the first event this update covers; equals `seq` unless coalesced. */
  firstSeq: number;
  /** Event type of the last event covered. */
  type: EventType;
  campaignId: string;
  branchId: string;
  entityType: EntityType;
  entityId: string;
  /**
   * The entity's fields as the covered events set them (the event data: a whole entity for `…Created`, the
   * changed field for a setter); `null` when the entity was deleted.
   */
  state: Record<string, unknown> | null;
  /** Names of the fields the covered events changed (`deleted` for a deletion). */
  changes: string[];
  /** The user whose command caused the (last) event. */
  updatedBy: string;
  /** ISO-8601 time of the (last) event. */
  at: string;
}

/**
 * Why the gateway ends a stream or tells a client something out of band. Sent as an SSE `event: <reason>`
 * (plain SSE) or as a GraphQL error with `extensions.code` (graphql-sse), never as silence.
 */
export const RealtimeReason = {
  /** The sequence to resume after is older than the stream holds: reload state, then follow live. */
  RESUME_TOO_OLD: 'RESUME_TOO_OLD',
  /** The client read too slowly and its queue passed its bound; reconnect with the last seq to resume. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The bearer token expired; reconnect with a fresh one. */
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  /** The caller was removed from the campaign. */
  MEMBERSHIP_REVOKED: 'MEMBERSHIP_REVOKED',
  /** The gateway is shutting down; reconnect (to another instance) with the last seq. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
} as const;
export type RealtimeReason = (typeof RealtimeReason)[keyof typeof RealtimeReason];

/**
 * The GraphQL subscriptions the realtime gateway serves, on the types of `typeDefs`. Ids of state variables
 * are their aggregate ids (`<ownerType>~<ownerId>`). `coalesce: false` turns the per-subscriber coalescing
 * window off (one message per event).
 */
export const realtimeTypeDefs = /* GraphQL */ `
  "One change pushed by the realtime gateway (see RealtimeUpdate in contracts)."
  type EntityUpdate {
    seq: Int!
    firstSeq: Int!
    type: String!
    campaignId: ID!
    branchId: ID!
    entityType: String!
    entityId: ID!
    state: JSON
    changes: [String!]!
    updatedBy: ID!
    at: String!
  }

  type Subscription {
    "Changes of one entity (entityType as in event subjects: settlement, structure, state-variable ...)."
    entityModified(entityType: String!, entityId: ID!, branchId: ID = "main", coalesce: Boolean = true): EntityUpdate!
    "Every change in a campaign branch, optionally only some event types; after: resume after this seq."
    campaignEvents(
      campaignId: ID!
      branchId: ID = "main"
      types: [String!]
      after: Int
      coalesce: Boolean = true
    ): EntityUpdate!
    settlementUpdated(id: ID!, branchId: ID = "main", coalesce: Boolean = true): EntityUpdate!
    structureUpdated(id: ID!, branchId: ID = "main", coalesce: Boolean = true): EntityUpdate!
  }
`;
