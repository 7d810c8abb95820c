import type { ErrorPayload } from './errors.js';
import type { AnyEvent } from './events.js';
import type { EventAddress } from './subjects.js';

/**
 * The history protocol between the query service (or the CLI) and the command service, over NATS request/reply
 * on `natsNames().historySubject`. The command service answers it because folding needs the deciders' evolve
 * functions, which live there and nowhere else: one fold, the one that decides commands, also explains history.
 */
export type HistoryRequest =
  /** A page of the entity's history, oldest first, after stream sequence `after` (exclusive). */
  | { op: 'history'; address: EventAddress; after?: number; first: number }
  /** The entity folded up to `seq` or up to the last commit stored at or before `time` (ISO-8601). */
  | { op: 'at'; address: EventAddress; seq?: number; time?: string };

/** An event with the stream's sequence and timestamp of its commit. */
export interface StoredEvent {
  seq: number;
  /** The stream's timestamp of the commit (ISO-8601). */
  time: string;
  event: AnyEvent;
}

/** One field of the folded state an event changed. `undefined` (absent in JSON) before or after: no value. */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
}

export interface HistoryEntry extends StoredEvent {
  changes: FieldChange[];
}

export interface HistoryPage {
  entries: HistoryEntry[];
  /** Sequence of the last entry: the next page's `after`. */
  endCursor: number | null;
  hasNextPage: boolean;
}

export interface EntitySnapshot {
  /** Highest sequence folded (0: none). */
  seq: number;
  /** Events folded. */
  version: number;
  state: unknown;
}

export type HistoryReply<T> = { ok: true; result: T } | { ok: false; error: ErrorPayload };

/**
 * The fields whose values differ between two folded states (compared as JSON), in the order they first appear.
 * States are plain JSON objects of the deciders. A field holding an object on both sides is compared field by
 * field under a dotted path (`values.population.value`), so a change to one of an owner's many variables is one
 * line; arrays and values that change kind are one field.
 */
export function diffStates(before: unknown, after: unknown, path = ''): FieldChange[] {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const changes: FieldChange[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const field = `${path}${key}`;
    if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    if (isPlainObject(a[key]) && isPlainObject(b[key])) {
      changes.push(...diffStates(a[key], b[key], `${field}.`));
      continue;
    }
    const change: FieldChange = { field };
    if (a[key] !== undefined) change.before = a[key];
    if (b[key] !== undefined) change.after = b[key];
    changes.push(change);
  }
  return changes;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
