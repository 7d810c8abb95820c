import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Both scripts act only when the key still holds the caller's token, atomically in Redis: a holder whose lock
// expired and was taken by another replica can neither delete nor extend the new holder's lock.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** The abort reason of a lock's signal: its TTL ran out (or someone else holds it) while work was under way. */
export class LockLostError extends Error {
  constructor(key: string) {
    super(`lock ${key} lost: it expired or another replica holds it`);
    this.name = 'LockLostError';
  }
}

/** A lock this process holds; `lost` turns true when a renewal finds it gone or someone else's. */
export class HeldLock {
  private readonly controller = new AbortController();
  /** Redis round trips spent on this lock: its acquisition, renewals and release. */
  roundTrips = 1;
  constructor(
    readonly key: string,
    readonly token: string,
  ) {}
  get lost(): boolean {
    return this.controller.signal.aborted;
  }
  /** Aborted when the lock is lost: long work checks it and stops. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  markLost(): void {
    this.controller.abort(new LockLostError(this.key));
  }
}

export interface LockStats {
  /** Every Redis command the lock sent (each is one round trip). */
  roundTrips: number;
  acquired: number;
  contended: number;
  lost: number;
}

/**
 * A Redis lock per key (`SET key token NX PX ttl`), released with compare-and-delete and renewed with
 * compare-and-pexpire (Lua, loaded once at start so a tick never pays for `NOSCRIPT`). A tick costs two round
 * trips: acquire and release; a tick longer than a third of the TTL adds one renewal per third.
 */
export class RedisLock {
  readonly stats: LockStats = { roundTrips: 0, acquired: 0, contended: 0, lost: 0 };
  private releaseSha = '';
  private renewSha = '';

  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  /** Loads the scripts; call once before the first tick. */
  async init(): Promise<void> {
    this.releaseSha = (await this.redis.script('LOAD', RELEASE)) as string;
    this.renewSha = (await this.redis.script('LOAD', RENEW)) as string;
  }

  async acquire(key: string): Promise<HeldLock | null> {
    const token = randomBytes(16).toString('hex');
    this.stats.roundTrips += 1;
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX');
    if (ok !== 'OK') {
      this.stats.contended += 1;
      return null;
    }
    this.stats.acquired += 1;
    return new HeldLock(key, token);
  }

  /** Extends the lock by the TTL when it is still ours; marks it lost (and aborts its signal) otherwise. */
  async renew(lock: HeldLock): Promise<boolean> {
    this.stats.roundTrips += 1;
    lock.roundTrips += 1;
    const ok = (await this.evalsha(this.renewSha, RENEW, lock.key, lock.token, String(this.ttlMs))) === 1;
    if (!ok) this.markLost(lock);
    return ok;
  }

  /** Deletes the lock only if it still holds our token; false when it had expired (and maybe been taken). */
  async release(lock: HeldLock): Promise<boolean> {
    this.stats.roundTrips += 1;
    lock.roundTrips += 1;
    const deleted = (await this.evalsha(this.releaseSha, RELEASE, lock.key, lock.token)) === 1;
    if (!deleted && !lock.lost) this.markLost(lock);
    return deleted;
  }

  /**
   * Runs `work` under the lock of `key`, renewing it every third of the TTL, and releases it afterwards. Returns
   * `null` without running when another replica holds it. `work` gets the lock's signal, aborted when lost.
   */
  async withLock<T>(
    key: string,
    work: (lock: HeldLock) => Promise<T>,
  ): Promise<{ result: T; releasedCleanly: boolean; roundTrips: number } | null> {
    const lock = await this.acquire(key);
    if (!lock) return null;
    const timer = setInterval(
      () => void this.renew(lock).catch(() => this.markLost(lock)),
      Math.max(50, Math.floor(this.ttlMs / 3)),
    );
    try {
      const result = await work(lock);
      clearInterval(timer);
      const releasedCleanly = await this.release(lock);
      return { result, releasedCleanly, roundTrips: lock.roundTrips };
    } catch (e) {
      clearInterval(timer);
      await this.release(lock).catch(() => false);
      throw e;
    }
  }

  private markLost(lock: HeldLock): void {
    if (lock.lost) return;
    this.stats.lost += 1;
    lock.markLost();
  }

  private async evalsha(sha: string, script: string, key: string, ...args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(sha, 1, key, ...args);
    } catch (e) {
      // A Redis restart or SCRIPT FLUSH forgets the scripts: send the body once (one more round trip) and reload.
      if (!/NOSCRIPT/.test((e as Error).message)) throw e;
      this.stats.roundTrips += 1;
      return this.redis.eval(script, 1, key, ...args);
    }
  }
}
