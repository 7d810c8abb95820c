import type { Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import type { EventHistory } from './event-history.js';
import { batchStatement, CHECKPOINT_MOVED_SQLSTATE, flushWrites } from './flush-writes.js';
import { applyFork, type ForkOutcome } from './fork.js';
import { PostgresParkingStore } from './parking-store.js';
import type { ParkedCommit } from './poison.js';
import { projectEvent, type SequencedEvent } from './postgres.projection.js';
import { tableRef } from './row-statements.js';
import type { WriteOp } from './write-ops.js';
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

/** Whether a driver error is `cm_checkpoint_moved()` (MikroORM wraps pg's error and keeps its `code`). */
function isCheckpointMoved(e: unknown): boolean {
  const err = e as { code?: unknown; cause?: { code?: unknown } } | null;
  return err?.code === CHECKPOINT_MOVED_SQLSTATE || err?.cause?.code === CHECKPOINT_MOVED_SQLSTATE;
}

interface ApplyOptions {
  /**
   * The checkpoint this writer believes is stored. The batch fails with `CheckpointMovedError`, and writes
   * nothing, if it is not: a fence against a writer whose lease ran out while it was busy. Omit it to apply
   * regardless (then the batch takes the transaction path, which reads the stored checkpoint first).
   */
  expectedCheckpoint?: number;
  /** Commits parked instead of applied (poison events): recorded, and the checkpoint moves past them too. */
  park?: readonly ParkedCommit[];
  /** Parked commits among `events` (a `cm parked retry`): their records go once they are applied. */
  unpark?: readonly number[];
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
 * into multi-row statements, plus the checkpoint, atomically. A batch without forks is a single statement (one
 * round trip, see `batchStatement`); one with forks, which read the parent's rows, is a transaction. Every
 * write is guarded by `last_seq`, so applying a batch again, or one that overlaps what is stored, changes
 * nothing that is already there.
 */
export class ProjectionWriter {
  private readonly parkingStore: PostgresParkingStore;
  /** Where the runner's poison guard parks commits, and reads what is parked. */
  readonly parking: { store: PostgresParkingStore; sql: Sql };

  constructor(
    private readonly db: Pick<Database, 'schema' | 'sql' | 'transaction' | 'readModel'>,
    private readonly history: EventHistory,
    readonly projection = POSTGRES_PROJECTION,
  ) {
    this.parkingStore = new PostgresParkingStore(db.schema, projection);
    this.parking = { store: this.parkingStore, sql: db.sql };
  }

  /** The stored checkpoint (0 before the first batch). */
  checkpoint(): Promise<number> {
    return this.db.readModel.checkpoint(this.projection);
  }

  /** `events` must be in stream order; several may share a sequence (one commit). */
  async apply(events: readonly SequencedEvent[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    const ops: WriteOp[] = [];
    let last = 0;
    for (const { seq, event } of events) {
      last = Math.max(last, seq);
      for (const op of projectEvent(event, seq)) ops.push(op);
    }
    for (const p of opts.park ?? []) last = Math.max(last, p.seq);
    const expected = opts.expectedCheckpoint;
    // A fork reads the parent's rows, so a batch with one needs a transaction of several statements; so does one
    // that parks commits or applies parked ones (rare: the common batch stays one statement).
    const parking = (opts.park?.length ?? 0) > 0 || (opts.unpark?.length ?? 0) > 0;
    if (expected === undefined || parking || ops.some((op) => op.kind === 'fork'))
      return this.applyInTransaction(ops, last, expected, opts);
    return this.applyAsOneStatement(ops, Math.max(last, expected), expected);
  }

  /** The common batch, in one round trip: see `batchStatement`. */
  private async applyAsOneStatement(ops: readonly WriteOp[], last: number, expected: number): Promise<ApplyResult> {
    const set = new WriteSet();
    for (const op of ops) if (op.kind !== 'fork') set.add(op);
    const { sql, params } = batchStatement(this.db.schema, set, {
      projection: this.projection,
      from: expected,
      to: last,
    });
    try {
      const rows = await this.db.sql.all<{ changed: string }>(sql, params);
      return { checkpoint: last, rowsChanged: Number(rows[0]!.changed), forks: [] };
    } catch (e) {
      if (!isCheckpointMoved(e)) throw e;
      throw new CheckpointMovedError(expected, await this.checkpoint());
    }
  }

  private applyInTransaction(
    ops: readonly WriteOp[],
    last: number,
    expected: number | undefined,
    opts: ApplyOptions = {},
  ): Promise<ApplyResult> {
    return this.db.transaction(async (sql) => {
      const stored = await this.lockCheckpoint(sql);
      if (expected !== undefined && stored !== expected) throw new CheckpointMovedError(expected, stored);
      const set = new WriteSet();
      const forks: ForkOutcome[] = [];
      let rowsChanged = 0;
      for (const op of ops) {
        if (op.kind !== 'fork') {
          set.add(op);
          continue;
        }
        // A fork reads the parent's rows: everything before it must be written first.
        rowsChanged += await flushWrites(sql, this.db.schema, set);
        forks.push(await applyFork(sql, this.db.schema, op, this.history));
      }
      rowsChanged += await flushWrites(sql, this.db.schema, set);
      await this.parkingStore.record(sql, opts.park ?? []);
      for (const seq of opts.unpark ?? []) await this.parkingStore.remove(sql, seq);
      const checkpoint = Math.max(stored, last);
      if (checkpoint > stored) {
        await sql.run(
          `UPDATE ${tableRef(this.db.schema, 'projection_checkpoint')} SET seq = ?, updated_at = now() WHERE name = ?`,
          [checkpoint, this.projection],
        );
      }
      return { checkpoint, rowsChanged, forks };
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
