import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Database } from '../read-model/database.js';
import { READERS, type DbRow } from '../read-model/row-mappers.js';
import { TABLE_NAMES, TABLES, type TableName } from '../read-model/tables.js';
import type { ModelRedis } from './redis-client.js';
import { LIST_SPECS_ARG, RedisKeys } from './redis-keys.js';
import { pushRowArgs } from './redis-writer.js';

async function keysUnder(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** Deletes every key under `prefix` (SCAN, never KEYS or FLUSHALL: other runs share this Redis). */
export async function deleteUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** Every key under `prefix` with its value (hash fields and set members sorted): a byte-level picture of the model. */
export async function dumpRedis(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const key of await keysUnder(redis, `${prefix}*`)) {
    const type = await redis.type(key);
    if (type === 'hash') out[key] = Object.entries(await redis.hgetall(key)).sort(([a], [b]) => (a < b ? -1 : 1));
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else out[key] = type;
  }
  return out;
}

const sorted = (rows: unknown[]) =>
  rows
    .map((r) => [JSON.stringify(r), r] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, r]) => r);

/**
 * Every row of every table in the Redis model's live generation (the one `<prefix>current` names after a rebuild,
 * else the one under `prefix`), tombstones included, as the row readers answer them (+ `deleted`).
 */
export async function redisModelRows(redis: Redis, base: string): Promise<Record<string, unknown[]>> {
  const prefix = (await redis.get(`${base}current`)) ?? base;
  const out: Record<string, unknown[]> = {};
  for (const table of TABLE_NAMES) {
    const rows: unknown[] = [];
    for (const key of await keysUnder(redis, `${prefix}d:${table}:*`)) {
      const row: DbRow = {};
      for (const [name, value] of Object.entries(await redis.hgetall(key)))
        row[name] = name === 'last_seq' ? value : JSON.parse(value);
      rows.push({ ...(READERS[table as TableName].map(row) as object), deleted: row.deleted });
    }
    out[table] = sorted(rows);
  }
  return out;
}

/** The same picture of the Postgres read model. */
export async function postgresModelRows(db: Database): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of TABLE_NAMES) {
    const { select, map } = READERS[table];
    const rows = await db.sql.all<DbRow>(`SELECT ${select}, t.deleted FROM "${db.schema}"."${table}" t`);
    out[table] = sorted(rows.map((r) => ({ ...(map(r) as object), deleted: r.deleted })));
  }
  return out;
}

/**
 * Writes the rows of `tables` in Postgres into the Redis model's live generation through its own batch script
 * (WRITE_BATCH: documents and child lists as the projection keeps them), starting a complete generation at
 * checkpoint 0 if there is none: for tests whose fixtures are written straight into Postgres (list-fixtures).
 */
export async function copyPostgresIntoRedis(
  db: Database,
  client: ModelRedis,
  base: string,
  tables: readonly TableName[],
): Promise<void> {
  const [prefix, gen, seq] = await client.ensureGeneration(base, base, randomUUID(), 0);
  const keys = new RedisKeys(prefix);
  for (const table of tables) {
    const rows = await db.sql.all<DbRow>(`SELECT ${READERS[table].select}, t.deleted FROM "${db.schema}"."${table}" t`);
    const keyNames = Object.keys(TABLES[table].key);
    for (let i = 0; i < rows.length; i += 500) {
      const args: string[] = [];
      for (const r of rows.slice(i, i + 500)) {
        const key = Object.fromEntries(keyNames.map((k) => [k, r[k]]));
        const values = Object.fromEntries(Object.entries(r).filter(([k]) => !keyNames.includes(k) && k !== 'last_seq'));
        pushRowArgs(args, keys, 'u', table, { kind: 'upsert', key, values, seq: Number(r.last_seq) });
      }
      const [ok] = await client.writeBatch([base, prefix, gen, seq, seq, LIST_SPECS_ARG, JSON.stringify(args)]);
      if (ok !== 'OK') throw new Error(`copying ${table} into Redis: ${ok}`);
    }
  }
}
