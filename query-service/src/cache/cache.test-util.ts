import { createMetrics } from '@cm/platform';
import type { Redis } from 'ioredis';
import { testLogger } from '../projector/int-support.test-util.js';
import { CacheStats } from './cache-stats.js';
import { openCacheRedis, RedisCache } from './redis-cache.js';

/** The logical database the cache's tests use on this machine's Redis: nobody else's, and never flushed. */
export const TEST_CACHE_DB = 11;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestCache {
  redis: Redis;
  cache: RedisCache;
  stats: CacheStats;
  /** Every key of this test's prefix, without the prefix, sorted. */
  keys(): Promise<string[]>;
  /** Deletes this test's keys and closes the client. */
  close(): Promise<void>;
}

/** A cache on DB 11 under a key prefix of the test's own. */
export async function openTestCache(prefix: string): Promise<TestCache> {
  const redis = openCacheRedis(REDIS_URL, TEST_CACHE_DB);
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', resolve);
    redis.once('error', reject);
  });
  const stats = new CacheStats(createMetrics('cache-test'), true);
  const cache = new RedisCache({ redis, stats, logger: testLogger(), prefix });
  const scanAll = async (): Promise<string[]> => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };
  return {
    redis,
    cache,
    stats,
    keys: async () => (await scanAll()).map((k) => k.slice(prefix.length)).sort(),
    close: async () => {
      const left = await scanAll();
      if (left.length) await redis.del(...left);
      redis.disconnect();
    },
  };
}
