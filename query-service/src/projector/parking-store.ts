import type { Sql } from '../read-model/sql.js';
import { pgArray } from '../read-model/sql.js';
import type { ParkedCommit } from './poison.js';
import { tableRef } from './row-statements.js';

/** A row of `parked_event` as `cm parked` shows it. */
export interface ParkedRow {
  projection: string;
  seq: number;
  aggregate: string;
  eventTypes: string[];
  error: string;
  attempts: number;
  status: 'parked' | 'skipped';
  reason: string | null;
  parkedAt: string;
}

/**
 * The `parked_event` table, for every projection: Postgres keeps the parked commits of the Redis projection too,
 * since an operator looks for them in one place and the table survives a Redis flush.
 */
export class PostgresParkingStore {
  constructor(
    private readonly schema: string,
    readonly projection: string,
  ) {}

  private get table(): string {
    return tableRef(this.schema, 'parked_event');
  }

  /** Records commits as parked (again: a commit parked twice keeps its first record). */
  async record(sql: Sql, parked: readonly ParkedCommit[]): Promise<void> {
    if (parked.length === 0) return;
    await sql.run(
      `INSERT INTO ${this.table} (projection, seq, aggregate, event_types, error, attempts, status) ` +
        `SELECT ?, * , 'parked' FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::int[]) ON CONFLICT (projection, seq) DO NOTHING`,
      [
        this.projection,
        pgArray(parked.map((p) => p.seq)),
        pgArray(parked.map((p) => p.aggregate)),
        pgArray(parked.map((p) => p.eventTypes.join(','))),
        pgArray(parked.map((p) => p.error)),
        pgArray(parked.map((p) => p.attempts)),
      ],
    );
  }

  /** Aggregates with a commit still parked: their later commits are parked behind it. */
  async heldAggregates(sql: Sql): Promise<string[]> {
    const rows = await sql.all<{ aggregate: string }>(
      `SELECT DISTINCT aggregate FROM ${this.table} WHERE projection = ? AND status = 'parked'`,
      [this.projection],
    );
    return rows.map((r) => r.aggregate);
  }

  async list(sql: Sql, status?: 'parked' | 'skipped'): Promise<ParkedRow[]> {
    const rows = await sql.all<Record<string, unknown>>(
      `SELECT projection, seq, aggregate, event_types, error, attempts, status, reason, parked_at FROM ${this.table} ` +
        `WHERE projection = ?${status ? ' AND status = ?' : ''} ORDER BY seq`,
      status ? [this.projection, status] : [this.projection],
    );
    return rows.map((r) => ({
      projection: String(r.projection),
      seq: Number(r.seq),
      aggregate: String(r.aggregate),
      eventTypes: String(r.event_types).split(',').filter(Boolean),
      error: String(r.error),
      attempts: Number(r.attempts),
      status: r.status as ParkedRow['status'],
      reason: (r.reason as string | null) ?? null,
      parkedAt: new Date(r.parked_at as string).toISOString(),
    }));
  }

  /** A parked commit was applied: its record goes. */
  async remove(sql: Sql, seq: number): Promise<void> {
    await sql.run(`DELETE FROM ${this.table} WHERE projection = ? AND seq = ?`, [this.projection, seq]);
  }

  /** A retry failed again: the record keeps the newest error and counts the attempts. */
  async failedAgain(sql: Sql, seq: number, error: string, attempts: number): Promise<void> {
    await sql.run(
      `UPDATE ${this.table} SET error = ?, attempts = attempts + ?, updated_at = now() WHERE projection = ? AND seq = ?`,
      [error, attempts, this.projection, seq],
    );
  }

  /** Drops a parked commit for good, with the operator's reason; resolves to whether it was parked. */
  async skip(sql: Sql, seq: number, reason: string): Promise<boolean> {
    const n = await sql.run(
      `UPDATE ${this.table} SET status = 'skipped', reason = ?, updated_at = now() WHERE projection = ? AND seq = ? AND status = 'parked'`,
      [reason, this.projection, seq],
    );
    return n > 0;
  }
}
