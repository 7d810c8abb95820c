import { createLogger, type Logger } from '@cm/platform';
import { NATS_URL } from '@cm/testkit';
import { loadQueryConfig, type QueryConfig } from '../config.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import { tableRef } from './row-statements.js';
import { ALL_TABLES, allColumns, type TableName } from '../read-model/tables.js';

/** Logs only when TEST_LOG_LEVEL asks for it. */
export function testLogger(): Logger {
  const level = (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent';
  return createLogger('query-service-test', { LOG_LEVEL: level, LOG_FORMAT: 'json', NODE_ENV: 'test' });
}

export function testConfig(namespace: string, schema: string, env: Record<string, string> = {}): QueryConfig {
  return loadQueryConfig({ NODE_ENV: 'test', CM_NAMESPACE: namespace, DATABASE_SCHEMA: schema, NATS_URL, ...env });
}

export async function openTestDatabase(namespace: string, schema: string): Promise<Database> {
  const db = await openDatabase(testConfig(namespace, schema), testLogger());
  await db.migrateUp();
  return db;
}

export async function dropSchema(sql: Sql, schema: string): Promise<void> {
  await sql.run(`drop schema if exists "${schema}" cascade`);
}

/**
 * Every table as sorted rows, for equality checks. Geometry as EWKT; `updated_at` only when asked for (it is
 * the one column two projections of the same stream legitimately differ in).
 */
export async function dumpTables(
  sql: Sql,
  schema: string,
  opts: { updatedAt?: boolean; branchAs?: Record<string, string> } = {},
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const spec of ALL_TABLES) {
    const columns = allColumns(spec)
      .filter(([c]) => c !== 'updated_at' || opts.updatedAt)
      .map(([c, { type }]) => (type === 'geometry' ? `ST_AsEWKT(${c}) AS ${c}` : `"${c}"`));
    const order = Object.keys(spec.key)
      .map((k) => `"${k}"`)
      .join(', ');
    out[spec.name] = await sql.all(
      `SELECT ${columns.join(', ')} FROM ${tableRef(schema, spec.name as TableName)} ORDER BY ${order}`,
    );
  }
  return out;
}
