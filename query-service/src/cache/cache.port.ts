import type { CacheStatsSnapshot } from './cache-stats.js';

/**
 * The read side's cache: JSON values under the seeds' keys (contracts' builders, scoped to their campaign with
 * `campaignCacheKey`), each with a TTL. Every operation degrades instead of failing: a read that cannot reach
 * Redis is a miss, a write or delete that cannot is skipped (and logged), so a request never fails because the
 * cache is down. The computed-field loader (api/computed-fields.ts) reads `computed-fields:` entries through it
 * before it asks the rules service.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /** Several keys in one round trip (MGET), in order. */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** `ttlSeconds` absent: the default TTL (`CACHE_DEFAULT_TTL`), for a family without a setting of its own. */
  set(key: string, value: unknown, ttlSeconds?: number): Promise<void>;
  /**
   * Writes entries that each reflect a stream sequence, in one round trip (one Lua script), skipping every entry
   * whose `seq` is below the sequence stored under its `mark` key (see `raiseMarks`): an answer computed before an
   * invalidation that has already happened is never stored. Resolves to how many were written.
   */
  setUnlessStale(entries: readonly GuardedEntry[], ttlSeconds: number): Promise<number>;
  /**
   * Raises the sequence stored under each mark key to at least `seq` (never lowers it) with `ttlSeconds`. Rejects
   * when Redis cannot be reached: an invalidation must not be skipped.
   */
  raiseMarks(marks: readonly string[], seq: number, ttlSeconds: number): Promise<void>;
  /** Deletes the keys named (see `DeleteOptions`); resolves to how many were deleted. */
  del(keys: readonly string[], opts?: DeleteOptions): Promise<number>;
  /** Deletes every key matching a Redis glob, found with SCAN (never KEYS); resolves to how many were deleted. */
  delPattern(pattern: string, opts?: DeleteOptions): Promise<number>;
  /** The cached value of `key`, or `load()`'s, stored for `ttlSeconds` (an `undefined` result is not stored). */
  cached<T>(key: string, ttlSeconds: number | undefined, load: () => Promise<T>): Promise<T>;
  stats(): CacheStatsSnapshot;
  /** Round trip of a PING in milliseconds; rejects when Redis does not answer. */
  ping(): Promise<number>;
}

/** An entry of `setUnlessStale`: written only if `seq` is at or past the sequence under `mark`. */
export interface GuardedEntry {
  key: string;
  value: unknown;
  seq: number;
  mark: string;
}

export interface DeleteOptions {
  /**
   * The stream sequence of the event that invalidates: an entry that already reflects it (its `seq` at or past it,
   * read after the event was applied) is kept; without it every key named is deleted.
   */
  below?: number;
}
