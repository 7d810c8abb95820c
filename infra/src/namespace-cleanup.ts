import { Redis } from 'ioredis';
import pg from 'pg';
import { natsNames } from '@cm/contracts';
import { LOCAL_DEFAULTS, type JetStreamManager } from '@cm/platform';
import { natsUrl, withNats } from './nats-admin.js';

/** The read-model database: `DATABASE_URL`, or the local default every script here uses. */
export const databaseUrl = (): string => process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL;

/** What `dropNamespace` removes: a namespace's NATS streams and, optionally, its read-model schema. */
export interface CleanupTarget {
  namespace: string;
  /** Postgres schema to drop; `public` is never dropped. */
  schema?: string;
  natsUrl?: string;
  databaseUrl?: string;
}

/**
 * Deletes a namespace's Redis read model (keys `<namespace>:rm:*` in REDIS_MODEL_DB, as query-service names them)
 * with SCAN, never KEYS or a flush: other systems share the database. Redis being down leaves nothing to fail on.
 */
export async function dropRedisModel(namespace: string): Promise<number> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    db: Number(process.env.REDIS_MODEL_DB ?? 0),
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:rm:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // Unreachable: a system that ran without Redis wrote nothing there.
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Streams that belong to a namespace: `<PREFIX>_*` and the KV buckets `KV_<PREFIX>_*`. */
export async function namespaceStreams(jsm: JetStreamManager, namespace: string): Promise<string[]> {
  const upper = natsNames(namespace).eventStream.replace(/_EVENTS$/, '');
  const out: string[] = [];
  // Namespaces are [a-z][a-z0-9]*, so `CM_` can never match another namespace's `CMX_`.
  for await (const name of jsm.streams.names()) {
    if (name.startsWith(`${upper}_`) || name.startsWith(`KV_${upper}_`)) out.push(name);
  }
  return out.sort();
}

/**
 * Deletes everything a test or benchmark system left behind: its streams (with their consumers) and KV
 * buckets, its Redis read model, and its read-model schema. Refuses the production namespace `cm` so a typo cannot wipe real data.
 */
export async function dropNamespace(target: CleanupTarget): Promise<{ streams: string[]; schema?: string }> {
  if (target.namespace === 'cm') throw new Error('refusing to drop the namespace cm: it holds the real event log');
  const streams = await withNats(
    'infra:cleanup',
    async ({ jsm }) => {
      const names = await namespaceStreams(jsm, target.namespace);
      for (const name of names) await jsm.streams.delete(name);
      return names;
    },
    target.natsUrl ?? natsUrl(),
  );
  await dropRedisModel(target.namespace);
  if (!target.schema || target.schema === 'public') return { streams };
  const client = new pg.Client({ connectionString: target.databaseUrl ?? databaseUrl() });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${target.schema.replace(/"/g, '')}" cascade`);
  } finally {
    await client.end();
  }
  return { streams, schema: target.schema };
}
