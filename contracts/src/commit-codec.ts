import { AppError, ErrorCode } from './errors.js';
import { CURRENT_SCHEMA_VERSION, EVENT_TYPES, type AnyEvent, type Commit, type EventType } from './events.js';

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const known = new Set<string>(EVENT_TYPES);

/**
 * Every event type is still at its first schema version, so there is nothing to upcast. An event of a version
 * (or a type) this build does not know was written by a newer writer: folding or projecting it as if it were
 * the version we know would be silently wrong, so it is refused. The first breaking change to an event brings
 * its upcaster here, with a spec that decodes a stored event of the old version.
 */
function checkVersion(event: AnyEvent): AnyEvent {
  if (!known.has(event.type))
    throw new AppError(ErrorCode.INTERNAL, `unknown event type ${event.type}`, { type: event.type });
  const current = CURRENT_SCHEMA_VERSION[event.type as EventType];
  if (event.schemaVersion !== current) {
    throw new AppError(
      ErrorCode.INTERNAL,
      `${event.type} v${event.schemaVersion} is not readable by this build (v${current})`,
      {
        type: event.type,
        schemaVersion: event.schemaVersion,
        current,
      },
    );
  }
  return event;
}

/** Parses a stored commit message; refuses events of a type or schema version this build does not know. */
export function decodeCommit(bytes: Uint8Array): Commit {
  const commit = JSON.parse(decoder.decode(bytes)) as Commit;
  return { commitId: commit.commitId, events: commit.events.map(checkVersion) };
}

export function encodeCommit(commit: Commit): Uint8Array {
  return encoder.encode(JSON.stringify(commit));
}
