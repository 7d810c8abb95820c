import { createLogger, type Logger } from '@cm/platform';
import { NATS_URL } from '@cm/testkit';
import { loadQueryConfig, type QueryConfig } from '../config.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { Sql } from '../read-model/sql.js';
import { tableRef } from './row-statements.js';
import { TABLE_NAMES, TABLES } from './tables.js';

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
export async function dumpTables(sql: Sql, schema: string, opts: { updatedAt?: boolean; branchAs?: Record<string, string> } = {}): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of [...TABLE_NAMES, 'projection_checkpoint' as const]) {
    const spec = table === 'projection_checkpoint' ? { key: ['name'], columns: { seq: 'bigint' } } : TABLES[table];
    const columns = [...spec.key, ...Object.keys(spec.columns), ...(table === 'projection_checkpoint' ? [] : ['last_seq'])].map((c) =>
      (spec.columns as Record<string, string>)[c] === 'geometry' ? `ST_AsEWKT(${c}) AS ${c}` : `"${c}"`,
    );
    if (opts.updatedAt) columns.push('updated_at');
    out[table] = await sql.all(`SELECT ${columns.join(', ')} FROM ${tableRef(schema, table)} ORDER BY ${spec.key.map((k) => `"${k}"`).join(', ')}`);
  }
  return out;
}

