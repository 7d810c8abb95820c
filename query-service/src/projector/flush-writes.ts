import type { Sql, Statement } from '../read-model/sql.js';
import { patchStatement, quote, tableRef, upsertStatement, type SeqGuard } from './row-statements.js';
import type { WriteSet } from './write-set.js';

/** Per table one multi-row upsert and one multi-row update per patched column set; each row is in one of them. */
function writeStatements(schema: string, set: WriteSet, guard: SeqGuard = '<'): Statement[] {
  const out: Statement[] = [];
  for (const { table, upserts, patches } of set.tables()) {
    if (upserts.length > 0) out.push(upsertStatement(schema, table, upserts, guard));
    for (const group of patches) out.push(patchStatement(schema, table, group.columns, group.rows, guard));
  }
  return out;
}

/**
 * Executes a write set statement by statement, then empties it. Resolves to the number of rows changed (rows
 * the guard skipped do not count). `guard` is `<=` only for `cm replay --into postgres` (see entity-replay.ts).
 */
export async function flushWrites(sql: Sql, schema: string, set: WriteSet, guard: SeqGuard = '<'): Promise<number> {
  if (set.size === 0) return 0;
  let changed = 0;
  for (const { sql: text, params } of writeStatements(schema, set, guard)) changed += await sql.run(text, params);
  set.clear();
  return changed;
}

/** The checkpoint's move a batch makes: from the sequence its writer expects to the batch's last. */
interface CheckpointMove {
  projection: string;
  from: number;
  to: number;
}

/**
 * A whole batch as one statement: every write of the set as a data-modifying CTE, and the checkpoint's move,
 * which happens only if the stored checkpoint is still `from` (`updated_at` changes only when it moves);
 * otherwise the statement raises `CMCP1` (`cm_checkpoint_moved()`) and nothing of it stays. One statement is
 * atomic on its own, so the batch needs neither `BEGIN` nor `COMMIT` nor a separate lock: one round trip instead
 * of five. Every CTE sees the same snapshot, which is exact here because the write set puts each row in exactly
 * one statement. The result row is `{ changed }`: rows written, those the sequence guard skipped not counted.
 */
export function batchStatement(schema: string, set: WriteSet, move: CheckpointMove): Statement {
  const writes = writeStatements(schema, set);
  const ctes = writes.map((w, i) => `w${i} AS (${w.sql} RETURNING 1)`);
  const checkpoint = tableRef(schema, 'projection_checkpoint');
  ctes.push(
    `cp AS (INSERT INTO ${checkpoint} AS c (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE ` +
      'SET seq = EXCLUDED.seq, updated_at = CASE WHEN c.seq = EXCLUDED.seq THEN c.updated_at ELSE now() END ' +
      'WHERE c.seq = ? RETURNING 1)',
  );
  const changed = writes.length > 0 ? writes.map((_, i) => `(SELECT count(*) FROM w${i})`).join(' + ') : '0';
  const fence = `CASE WHEN EXISTS (SELECT 1 FROM cp) THEN 0 ELSE ${quote(schema)}.cm_checkpoint_moved() END`;
  return {
    sql: `WITH ${ctes.join(', ')} SELECT ${changed} AS changed, ${fence} AS fence`,
    params: [...writes.flatMap((w) => w.params), move.projection, move.to, move.from],
  };
}

/** The SQLSTATE `cm_checkpoint_moved()` raises. */
export const CHECKPOINT_MOVED_SQLSTATE = 'CMCP1';
