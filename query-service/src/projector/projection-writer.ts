import type { Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import type { EventHistory } from './event-history.js';
import { flushWrites } from './flush-writes.js';
import { applyFork, type ForkOutcome } from './fork.js';
import { projectEvent, type SequencedEvent } from './postgres.projection.js';
import { tableRef } from './row-statements.js';
import { WriteSet } from './write-set.js';

/** The projection's name: its checkpoint row, consumer, lease and checkpoint subject. */
export const POSTGRES_PROJECTION = 'postgres';

/** Another writer moved the checkpoint: this one lost its lease without noticing, and must stop. */
export class CheckpointMovedError extends Error {
  constructor(
    readonly expected: number,
    readonly found: number,
  ) {
    super(`checkpoint moved from ${expected} to ${found} under this writer`);
    this.name = 'CheckpointMovedError';
  }
}

export interface ApplyOptions {
  /**
   * The checkpoint this writer believes is stored. The transaction fails with `CheckpointMovedError` if it is
   * not: a fence against a writer whose lease ran out while it was busy. Omit it to apply regardless.
   */
  expectedCheckpoint?: number;
}

export interface ApplyResult {
  /** The stored checkpoint after the batch. */
  checkpoint: number;
  /** Rows changed; rows the sequence guard skipped do not count. */
  rowsChanged: number;
  forks: ForkOutcome[];
}

/**
 * Applies batches of events to the Postgres read model: the projection's writes, merged per row and grouped
 * into multi-row statements, plus the checkpoint, in one transaction. Every write is guarded by `last_seq`,
 * so applying a batch again, or one that overlaps what is stored, changes nothing that is already there.
 */
export class ProjectionWriter {
  constructor(
    private readonly db: Pick<Database, 'schema' | 'transaction' | 'readModel'>,
    private readonly history: EventHistory,
    readonly projection = POSTGRES_PROJECTION,
  ) {}

  /** The stored checkpoint (0 before the first batch). */
  checkpoint(): Promise<number> {
    return this.db.readModel.checkpoint(this.projection);
  }

  /** `events` must be in stream order; several may share a sequence (one commit). */
  apply(events: readonly SequencedEvent[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.db.transaction(async (sql) => {
      const stored = await this.lockCheckpoint(sql);
      if (opts.expectedCheckpoint !== undefined && stored !== opts.expectedCheckpoint) {
        throw new CheckpointMovedError(opts.expectedCheckpoint, stored);
      }
      const set = new WriteSet();
      const forks: ForkOutcome[] = [];
      let rowsChanged = 0;
      let last = stored;
      for (const { seq, event } of events) {
        last = Math.max(last, seq);
        for (const op of projectEvent(event, seq)) {
          if (op.kind !== 'fork') {
            set.add(op);
            continue;
          }
          // A fork reads the parent's rows: everything before it must be written first.
          rowsChanged += await flushWrites(sql, this.db.schema, set);
          forks.push(await applyFork(sql, this.db.schema, op, this.history));
        }
      }
      rowsChanged += await flushWrites(sql, this.db.schema, set);
      if (last > stored) {
        await sql.run(`UPDATE ${tableRef(this.db.schema, 'projection_checkpoint')} SET seq = ?, updated_at = now() WHERE name = ?`, [
          last,
          this.projection,
        ]);
      }
      return { checkpoint: last, rowsChanged, forks };
    });
  }

  /**
   * Reads the checkpoint and locks its row until commit (creating it at 0 the first time), so that two writers
   * can never interleave batches: the second waits, then sees the checkpoint moved.
   */
  private async lockCheckpoint(sql: Sql): Promise<number> {
    const rows = await sql.all<{ seq: string }>(
      `INSERT INTO ${tableRef(this.db.schema, 'projection_checkpoint')} AS c (name, seq) VALUES (?, 0) ` +
        'ON CONFLICT (name) DO UPDATE SET name = c.name RETURNING c.seq',
      [this.projection],
    );
    return Number(rows[0]!.seq);
  }
}
