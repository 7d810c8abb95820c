import type { Sql } from '../read-model/sql.js';
import { patchStatement, upsertStatement } from './row-statements.js';
import type { WriteSet } from './write-set.js';

/**
 * Executes a write set: per table one multi-row upsert and one multi-row update per patched column set, then
 * empties it. Resolves to the number of rows changed (rows the guard skipped do not count).
 */
export async function flushWrites(sql: Sql, schema: string, set: WriteSet): Promise<number> {
  if (set.size === 0) return 0;
  let changed = 0;
  for (const { table, upserts, patches } of set.tables()) {
    if (upserts.length > 0) {
      const { sql: text, params } = upsertStatement(schema, table, upserts);
      changed += await sql.run(text, params);
    }
    for (const group of patches) {
      const { sql: text, params } = patchStatement(schema, table, group.columns, group.rows);
      changed += await sql.run(text, params);
    }
  }
  set.clear();
  return changed;
}
