import type { CacheStatsSnapshot } from './cache-stats.js';

/**
 * The read side's cache: JSON values under the seeds' keys (contracts' builders, scoped to their campaign with
 * `campaignCacheKey`), each with a TTL. Every operation degrades instead of failing: a read that cannot reach
 * Redis is a miss, a write or delete that cannot is skipped (and logged), so a request never fails because the
 * cache is down. The rules service will read `computed-fields:` entries through this same port.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /** Several keys in one round trip (MGET), in order. */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  /** Deletes the keys named; resolves to how many existed. */
  del(keys: readonly string[]): Promise<number>;
  /** Deletes every key matching a Redis glob, found with SCAN (never KEYS); resolves to how many there were. */
  delPattern(pattern: string): Promise<number>;
  /** The cached value of `key`, or `load()`'s, stored for `ttlSeconds` (an `undefined` result is not stored). */
  cached<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  stats(): CacheStatsSnapshot;
  /** Round trip of a PING in milliseconds; rejects when Redis does not answer. */
  ping(): Promise<number>;
}
