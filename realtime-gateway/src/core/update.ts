import type { AnyEvent, RealtimeUpdate } from '@cm/contracts';

/**
 * One event on its way to subscribers. Encodings are made lazily and kept on the object, so every subscriber
 * of every room gets the same bytes (plain SSE) or the same execution result (GraphQL, per document).
 */
export interface Update {
  readonly payload: RealtimeUpdate;
  /** Coalescing key: one entity of one campaign branch. */
  readonly entityKey: string;
  /** When the event was stored (JetStream timestamp, ms), for the fan-out latency metric. */
  readonly storedAtMs: number;
  /** Memoized encodings by key (`sse`, `sse-noid`, `gql:<document>` ...). */
  readonly encoded: Map<string, unknown>;
}

const DELETED = /Deleted$/;

/** The realtime payload of one stored event: its data is the new state of the fields it changed. */
export function toPayload(event: AnyEvent, seq: number): RealtimeUpdate {
  const deleted = DELETED.test(event.type);
  const data = event.data as Record<string, unknown>;
  return {
    seq,
    firstSeq: seq,
    type: event.type,
    campaignId: event.campaignId,
    branchId: event.branchId,
    entityType: event.entityType,
    entityId: event.entityId,
    state: deleted ? null : { ...data },
    changes: deleted ? ['deleted'] : Object.keys(data),
    updatedBy: event.metadata.userId,
    at: event.metadata.occurredAt,
  };
}

export function makeUpdate(payload: RealtimeUpdate, storedAtMs: number): Update {
  return {
    payload,
    entityKey: `${payload.campaignId}:${payload.branchId}:${payload.entityType}:${payload.entityId}`,
    storedAtMs,
    encoded: new Map(),
  };
}

/** Returns the memoized encoding `key` of an update, making it once with `make`. */
export function encodedOnce<T>(update: Update, key: string, make: () => T): T {
  let value = update.encoded.get(key) as T | undefined;
  if (value === undefined) {
    value = make();
    update.encoded.set(key, value);
  }
  return value;
}

/**
 * Folds a later update of the same entity into an earlier one: the latest state wins field by field, a
 * deletion wins outright, the changed fields accumulate, and the result covers both sequence ranges.
 */
export function mergeUpdates(earlier: Update, later: Update): Update {
  const a = earlier.payload;
  const b = later.payload;
  const state = b.state === null ? null : { ...(a.state ?? {}), ...b.state };
  const changes =
    b.state === null ? ['deleted'] : [...new Set([...(a.state === null ? ['deleted'] : a.changes), ...b.changes])];
  return makeUpdate({ ...b, firstSeq: a.firstSeq, state, changes }, Math.min(earlier.storedAtMs, later.storedAtMs));
}
