import type { FieldChange } from './history.js';

/**
 * `cm replay --into <projection>` (issue 13): what the CLI and the query service's replay process
 * (query-service/src/projector/replay.main.ts) exchange. The CLI sends the aggregates as `EventAddress`es and reads
 * back one `ReplayReport`.
 */

/** The projections a replay can re-project into: those whose sink lives in the query service. */
export const REPLAY_PROJECTIONS = ['postgres', 'redis'] as const;

export type ReplayProjection = (typeof REPLAY_PROJECTIONS)[number];

/**
 * One row the replay wrote or would write: `inserted`/`updated`/`deleted` (its tombstone set), `unchanged` (the
 * fold agrees with what is stored), or left alone: `newer` (a later event wrote it) or `missing` (a patch of a row
 * that does not exist, which the projector leaves missing too).
 */
export interface RowChange {
  /** The read-model table (Redis: the document's table). */
  table: string;
  /** The row's key columns. */
  key: Record<string, unknown>;
  change: 'inserted' | 'updated' | 'deleted' | 'unchanged' | 'newer' | 'missing';
  /** The sequence of the fold's last event on the row, and the row's `last_seq` before. */
  seq: number;
  storedSeq: number | null;
  fields: FieldChange[];
}

/** What the replay process prints: one JSON document. */
export interface ReplayReport {
  projection: ReplayProjection;
  /** Nothing was written: `rows` say what would change. */
  dryRun: boolean;
  /** Aggregates re-projected. */
  aggregates: number;
  /** Events folded, the lineage of branch aggregates included. */
  events: number;
  /** The projection's checkpoint when the replay started: the fold's last sequence. */
  uptoSeq: number;
  /** Every row the fold writes, in table order. */
  rows: RowChange[];
}
