import { cacheFamilyOf } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import { Redis } from 'ioredis';
import type { Cache, DeleteOptions, GuardedEntry } from './cache.port.js';
import type { CacheStats } from './cache-stats.js';

/** Keys deleted per DEL while a pattern is scanned; SCAN's COUNT is a hint of the same size. */
const SCAN_BATCH = 500;

/** The TTL of a family without its own setting, when the options name none (`CACHE_DEFAULT_TTL`'s default). */
const DEFAULT_TTL_SECONDS = 300;

/**
 * KEYS: entry, mark, entry, mark, ...; ARGV: ttl, seq, value, seq, value, ... Writes each entry whose seq is at or
 * past its mark's, atomically with the check, so an invalidation (which raises the mark first) cannot fall between
 * them. Answers one flag per entry (1 written).
 */
const SET_UNLESS_STALE = `
local ttl = ARGV[1]
local out = {}
for i = 1, #KEYS, 2 do
  local mark = tonumber(redis.call('GET', KEYS[i + 1]) or '0') or 0
  local seq = tonumber(ARGV[i + 1])
  if seq >= mark then
    redis.call('SET', KEYS[i], ARGV[i + 2], 'EX', ttl)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

/** KEYS: marks; ARGV: seq, ttl. Raises each mark to seq, never lowers it. */
const RAISE_MARKS = `
local seq = tonumber(ARGV[1])
for i = 1, #KEYS do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if seq > cur then redis.call('SET', KEYS[i], ARGV[1], 'EX', ARGV[2]) end
end
return 0`;

/**
 * KEYS: entries; ARGV: seq. Deletes each entry unless it already reflects `seq`: every entry this cache writes is
 * `{"seq":N,...}` (the stream sequence its value reflects, first), and one at or past the invalidating event was read
 * after it. Anything else (no seq, another shape) is deleted. Only the head of each value is read (GETRANGE): a list
 * entry can be large, and the sequence is its first field. Answers how many were deleted.
 */
const DEL_BELOW = `
local seq = tonumber(ARGV[1])
local n = 0
for i = 1, #KEYS do
  local v = redis.call('GETRANGE', KEYS[i], 0, 31)
  if v ~= '' then
    local s = tonumber(string.match(v, '^{"seq":(%d+)[,}]'))
    if not s or s < seq then
      redis.call('DEL', KEYS[i])
      n = n + 1
    end
  end
end
return n`;

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

export interface RedisCacheOptions {
  /** A client on the cache's own logical database (`REDIS_CACHE_DB`), never the read model's. */
  redis: Redis;
  stats: CacheStats;
  logger: Logger;
  /** Prepended to every key; tests give each file its own. */
  prefix?: string;
  /** `CACHE_LOGGING_ENABLED` at start; operators switch it at run time (`setLogging`). */
  logging?: boolean;
  /** `CACHE_DEFAULT_TTL`: the TTL of a `set` that names none (a family without a setting of its own). */
  defaultTtlSeconds?: number;
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
    // EVALSHA with a fallback to EVAL: the scripts travel once per connection, not with every call.
    if (!('cmSetUnlessStale' in opts.redis)) {
      opts.redis.defineCommand('cmSetUnlessStale', { lua: SET_UNLESS_STALE });
      opts.redis.defineCommand('cmRaiseMarks', { lua: RAISE_MARKS });
      opts.redis.defineCommand('cmDelBelow', { lua: DEL_BELOW });
    }
    this.redis = opts.redis;
    this.prefix = opts.prefix ?? '';
    this.logging = opts.logging ?? false;
    opts.stats.pingOnScrape(() => this.ping());
  }

  private script(name: 'cmSetUnlessStale' | 'cmRaiseMarks' | 'cmDelBelow'): ScriptCall {
    return (this.redis as unknown as Record<string, ScriptCall>)[name]!.bind(this.redis);
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
    // Counted per family once per call: a batch of a thousand keys is one family, not a thousand counter updates.
    const counts = new Map<string, { hits: number; misses: number }>();
    const values = raws.map((raw, i) => {
      const key = keys[i]!;
      const family = cacheFamilyOf(key);
      let c = counts.get(family);
      if (!c) counts.set(family, (c = { hits: 0, misses: 0 }));
      if (raw === null) c.misses += 1;
      else c.hits += 1;
      if (this.logging) this.opts.logger.info({ key }, raw === null ? 'cache miss' : 'cache hit');
      return raw === null ? undefined : (JSON.parse(raw) as T);
    });
    for (const [family, c] of counts) {
      this.opts.stats.record('hits', family, c.hits);
      this.opts.stats.record('misses', family, c.misses);
    }
    return values;
  }

  async set(key: string, value: unknown, ttlSeconds?: number): Promise<void> {
    try {
      const ttl = ttlSeconds ?? this.opts.defaultTtlSeconds ?? DEFAULT_TTL_SECONDS;
      await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', ttl);
      this.opts.stats.record('sets', cacheFamilyOf(key));
    } catch (err) {
      this.unreachable('set', err);
    }
  }

  async setUnlessStale(entries: readonly GuardedEntry[], ttlSeconds: number): Promise<number> {
    if (entries.length === 0) return 0;
    const keys: string[] = [];
    const args: (string | number)[] = [ttlSeconds];
    for (const e of entries) {
      keys.push(this.prefix + e.key, this.prefix + e.mark);
      args.push(e.seq, JSON.stringify(e.value));
    }
    let flags: number[];
    try {
      flags = (await this.script('cmSetUnlessStale')(keys.length, ...keys, ...args)) as number[];
    } catch (err) {
      this.unreachable('setUnlessStale', err);
      return 0;
    }
    let written = 0;
    flags.forEach((flag, i) => {
      const { key, seq } = entries[i]!;
      if (flag === 1) {
        written += 1;
        this.opts.stats.record('sets', cacheFamilyOf(key));
      } else if (this.logging) this.opts.logger.info({ key, seq }, 'cache write skipped: invalidated since');
    });
    return written;
  }

  async raiseMarks(marks: readonly string[], seq: number, ttlSeconds: number): Promise<void> {
    if (marks.length === 0) return;
    try {
      await this.script('cmRaiseMarks')(marks.length, ...marks.map((m) => this.prefix + m), seq, ttlSeconds);
    } catch (err) {
      this.unreachable('raiseMarks', err);
      throw err;
    }
  }

  async del(keys: readonly string[], opts: DeleteOptions = {}): Promise<number> {
    if (keys.length === 0) return 0;
    let deleted = 0;
    try {
      deleted = await this.delete(
        keys.map((k) => this.prefix + k),
        opts,
      );
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
  async delPattern(pattern: string, opts: DeleteOptions = {}): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    try {
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', this.prefix + pattern, 'COUNT', SCAN_BATCH);
        cursor = next;
        if (found.length) deleted += await this.delete(found, opts);
      } while (cursor !== '0');
    } catch (err) {
      this.unreachable('delPattern', err);
      throw err;
    }
    this.opts.stats.record('patternDeletes', cacheFamilyOf(pattern));
    if (this.logging) this.opts.logger.info({ pattern, deleted }, 'cache cascade invalidation');
    return deleted;
  }

  /** Full keys: unlinked, or with `below`, deleted unless they already reflect that sequence (DEL_BELOW). */
  private async delete(keys: string[], { below }: DeleteOptions): Promise<number> {
    if (below === undefined) return this.redis.unlink(...keys);
    return (await this.script('cmDelBelow')(keys.length, ...keys, below)) as number;
  }

  async cached<T>(key: string, ttlSeconds: number | undefined, load: () => Promise<T>): Promise<T> {
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
