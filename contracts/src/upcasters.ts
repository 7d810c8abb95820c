import { AppError, ErrorCode } from './errors.js';
import { CURRENT_SCHEMA_VERSION, type AnyEvent, type Commit, type EventType } from './events.js';

type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

/**
 * `upcasters[type][v]` lifts data of schema version `v` to `v + 1`. Stored events are never rewritten: a
 * breaking change adds an entry here and bumps `CURRENT_SCHEMA_VERSION`.
 */
export const upcasters: Partial<Record<EventType, Record<number, Upcaster>>> = {};

/** Brings one stored event to the current schema version of its type. */
export function upcast(event: AnyEvent, registry = upcasters): AnyEvent {
  const target = CURRENT_SCHEMA_VERSION[event.type];
  if (target === undefined) throw new AppError(ErrorCode.INTERNAL, `unknown event type ${event.type}`);
  let { schemaVersion } = event;
  if (schemaVersion === target) return event;
  let data = event.data as Record<string, unknown>;
  while (schemaVersion < target) {
    const step = registry[event.type]?.[schemaVersion];
    if (!step) throw new AppError(ErrorCode.INTERNAL, `no upcaster for ${event.type} v${schemaVersion}`);
    data = step(data);
    schemaVersion += 1;
  }
  return { ...event, schemaVersion, data } as AnyEvent;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Parses a stored commit message and upcasts its events. */
export function decodeCommit(bytes: Uint8Array): Commit {
  const commit = JSON.parse(decoder.decode(bytes)) as Commit;
  return { commitId: commit.commitId, events: commit.events.map((e) => upcast(e)) };
}

export function encodeCommit(commit: Commit): Uint8Array {
  return encoder.encode(JSON.stringify(commit));
}
