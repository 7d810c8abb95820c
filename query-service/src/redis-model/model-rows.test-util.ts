import type { Redis } from 'ioredis';
import type { Database } from '../read-model/database.js';
import { READERS, type DbRow } from '../read-model/row-mappers.js';
import { TABLE_NAMES, type TableName } from '../read-model/tables.js';

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
