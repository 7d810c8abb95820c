import type { EventAddress, NatsNames, ReplayReport, RowChange } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import type { Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import { TABLES, type TableName } from '../read-model/tables.js';
import { foldAggregates, rowChange } from './entity-replay.js';
import { flushWrites } from './flush-writes.js';
import { PostgresParkingStore } from './parking-store.js';
import { POSTGRES_PROJECTION } from './projection-writer.js';
import { keyedRowsStatement } from './row-statements.js';
import type { MergedRow, WriteSet } from './write-set.js';

/** Rolls the transaction of a dry run back, carrying what it would have changed. */
class DryRun extends Error {
  constructor(readonly rows: RowChange[]) {
    super('dry run');
  }
}

/**
 * `cm replay --into postgres`: re-projects the aggregates (entity-replay.ts) into the Postgres read model in one
 * transaction: the rows the fold writes are read and locked (`FOR UPDATE`, so a live batch on them waits for
 * this one and then applies its newer sequence on top), written with the `<=` guard, read again and compared.
 * A dry run does the same and rolls back. The checkpoint, the parked commits and the consumer are not touched.
 */
export async function replayIntoPostgres(
  db: Pick<Database, 'schema' | 'sql' | 'transaction' | 'readModel'>,
  nats: Nats,
  names: NatsNames,
  aggregates: readonly EventAddress[],
  dryRun: boolean,
): Promise<ReplayReport> {
  const uptoSeq = await db.readModel.checkpoint(POSTGRES_PROJECTION);
  const parked = await new PostgresParkingStore(db.schema, POSTGRES_PROJECTION).list(db.sql, 'parked');
  const fold = await foldAggregates(nats, names, aggregates, uptoSeq, new Set(parked.map((p) => p.seq)));
  const work = async (sql: Sql): Promise<RowChange[]> => {
    const written = rowsOf(fold.set);
    const before = await readRows(sql, db.schema, written, true);
    await flushWrites(sql, db.schema, fold.set, '<=');
    const after = await readRows(sql, db.schema, written, false);
    const rows = written.map(({ table, row }, i) => rowChange(table, row.key, row.seq, before[i], after[i]));
    if (dryRun) throw new DryRun(rows);
    return rows;
  };
  let rows: RowChange[];
  try {
    rows = await db.transaction(work);
  } catch (e) {
    if (!(e instanceof DryRun)) throw e;
    rows = e.rows;
  }
  return {
    projection: POSTGRES_PROJECTION,
    dryRun,
    aggregates: aggregates.length,
    events: fold.events,
    uptoSeq,
    rows,
  };
}

interface WrittenRow {
  table: TableName;
  row: MergedRow;
}

function rowsOf(set: WriteSet): WrittenRow[] {
  const out: WrittenRow[] = [];
  for (const { table, upserts, patches } of set.tables()) {
    for (const row of upserts) out.push({ table, row });
    for (const group of patches) for (const row of group.rows) out.push({ table, row });
  }
  return out;
}

/** The stored rows of `written`, in its order (`undefined` where none is stored). */
async function readRows(
  sql: Sql,
  schema: string,
  written: readonly WrittenRow[],
  lock: boolean,
): Promise<(Record<string, unknown> | undefined)[]> {
  const byTable = new Map<TableName, Record<string, unknown>[]>();
  for (const { table, row } of written) byTable.set(table, [...(byTable.get(table) ?? []), row.key]);
  const found = new Map<string, Record<string, unknown>>();
  for (const [table, keys] of byTable) {
    const statement = keyedRowsStatement(schema, table, keys, lock);
    for (const { row } of await sql.all<{ row: Record<string, unknown> | string }>(statement.sql, statement.params)) {
      const value = typeof row === 'string' ? (JSON.parse(row) as Record<string, unknown>) : row;
      found.set(identity(table, value), value);
    }
  }
  return written.map(({ table, row }) => found.get(identity(table, row.key)));
}

/** A row's identity: its table and key columns. */
function identity(table: TableName, values: Record<string, unknown>): string {
  return JSON.stringify([table, ...Object.keys(TABLES[table].key).map((k) => String(values[k]))]);
}
