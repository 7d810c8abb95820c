import { cacheFamilyOf } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import { Redis } from 'ioredis';
import type { Cache } from './cache.port.js';
import type { CacheStats } from './cache-stats.js';

/** Keys deleted per DEL while a pattern is scanned; SCAN's COUNT is a hint of the same size. */
const SCAN_BATCH = 500;

export interface RedisCacheOptions {
  /** A client on the cache's own logical database (`REDIS_CACHE_DB`), never the read model's. */
  redis: Redis;
  stats: CacheStats;
  logger: Logger;
  /** Prepended to every key; tests give each file its own. */
  prefix?: string;
  /** `CACHE_LOGGING_ENABLED` at start; operators switch it at run time (`setLogging`). */
  logging?: boolean;
}

/** Opens the cache's Redis client: commands fail fast while Redis is away instead of queueing behind it. */
export function openCacheRedis(url: string, db: number): Redis {
  return new Redis(url, {
    db,
    // A cache that is down is a miss, not a wait: no offline queue, one attempt per command.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 50, 2_000),
    lazyConnect: false,
  });
}

/** The `Cache` port over ioredis. */
export class RedisCache implements Cache {
  private readonly redis: Redis;
  private readonly prefix: string;
  private logging: boolean;
  private down = false;

  constructor(private readonly opts: RedisCacheOptions) {
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? '';
    this.logging = opts.logging ?? false;
    opts.stats.pingOnScrape(() => this.ping());
  }

  /** Cache hit/miss/invalidation logging at info level, switched at run time. */
  setLogging(on: boolean): void {
    this.logging = on;
    this.opts.logger.info({ cacheLogging: on }, 'cache logging switched');
  }

  get loggingEnabled(): boolean {
    return this.logging;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const family = cacheFamilyOf(key);
    let raw: string | null;
    try {
      raw = await this.redis.get(this.prefix + key);
    } catch (err) {
      this.unreachable('get', err);
      raw = null;
    }
    this.opts.stats.record(raw === null ? 'misses' : 'hits', family);
    if (this.logging) this.opts.logger.info({ key }, raw === null ? 'cache miss' : 'cache hit');
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  async getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    if (keys.length === 0) return [];
    let raws: (string | null)[];
    try {
      raws = await this.redis.mget(...keys.map((k) => this.prefix + k));
    } catch (err) {
      this.unreachable('mget', err);
      raws = keys.map(() => null);
    }
    return raws.map((raw, i) => {
      const key = keys[i]!;
      this.opts.stats.record(raw === null ? 'misses' : 'hits', cacheFamilyOf(key));
      if (this.logging) this.opts.logger.info({ key }, raw === null ? 'cache miss' : 'cache hit');
      return raw === null ? undefined : (JSON.parse(raw) as T);
    });
  }

  async set(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', ttlSeconds);
      this.opts.stats.record('sets', cacheFamilyOf(key));
    } catch (err) {
      this.unreachable('set', err);
    }
  }

  async del(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    let deleted = 0;
    try {
      deleted = await this.redis.del(...keys.map((k) => this.prefix + k));
    } catch (err) {
      this.unreachable('del', err);
      throw err;
    }
    for (const key of keys) this.opts.stats.record('deletes', cacheFamilyOf(key));
    if (this.logging) this.opts.logger.info({ keys, deleted }, 'cache invalidation');
    return deleted;
  }

  /**
   * SCAN walks the keyspace in steps without blocking Redis the way KEYS would; keys added during the walk may
   * be missed, which is harmless here: a value written after the event that invalidates it was read after it.
   */
  async delPattern(pattern: string): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    try {
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', this.prefix + pattern, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (found.length) deleted += await this.redis.unlink(...found);
      } while (cursor !== '0');
    } catch (err) {
      this.unreachable('delPattern', err);
      throw err;
    }
    this.opts.stats.record('patternDeletes', cacheFamilyOf(pattern));
    if (this.logging) this.opts.logger.info({ pattern, deleted }, 'cache cascade invalidation');
    return deleted;
  }

  async cached<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const hit = await this.get<T>(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined) await this.set(key, value, ttlSeconds);
    return value;
  }

  stats() {
    return this.opts.stats.snapshot();
  }

  async ping(): Promise<number> {
    const started = performance.now();
    await this.redis.ping();
    const ms = performance.now() - started;
    this.opts.stats.pingLatency.set(ms);
    return ms;
  }

  /** Logged once per outage (the client's 'ready' clears it), not once per request. */
  private unreachable(op: string, err: unknown): void {
    if (this.down) return;
    this.down = true;
    this.redis.once('ready', () => (this.down = false));
    this.opts.logger.warn(
      { err: (err as Error).message, op },
      'cache: Redis unreachable; reads miss and writes are skipped until it is back',
    );
  }
}
