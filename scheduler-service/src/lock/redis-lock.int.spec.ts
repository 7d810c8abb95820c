import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockLostError, RedisLock } from './redis-lock.js';

// Against the real Redis; every key of this file starts with its own random prefix and is deleted afterwards.
const prefix = `locktest:${randomBytes(4).toString('hex')}`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

async function lock(ttlMs: number): Promise<RedisLock> {
  const l = new RedisLock(redis, ttlMs);
  await l.init();
  return l;
}

describe('RedisLock', () => {
  it('lets one holder in at a time and costs two round trips for a tick', async () => {
    const key = `${prefix}:one`;
    const a = await lock(5000);
    const b = await lock(5000);
    const held = await a.acquire(key);
    expect(held).not.toBeNull();
    expect(await b.acquire(key)).toBeNull();
    expect(b.stats.contended).toBe(1);
    expect(await a.release(held!)).toBe(true);
    expect(a.stats.roundTrips).toBe(2);
    expect(await redis.exists(key)).toBe(0);
  });

  it('a holder that stalled past its TTL can neither release nor renew the lock another replica now holds', async () => {
    const key = `${prefix}:stall`;
    const a = await lock(200);
    const b = await lock(5000);
    const stalled = await a.acquire(key);
    expect(stalled).not.toBeNull();
    // Poll rather than sleep a fixed time: the lock is free once Redis expired it.
    while (await redis.exists(key)) await sleep(50);
    const taken = await b.acquire(key);
    expect(taken).not.toBeNull();

    expect(await a.release(stalled!)).toBe(false);
    expect(stalled!.lost).toBe(true);
    expect(await a.renew(stalled!)).toBe(false);
    expect(await redis.get(key)).toBe(taken!.token);

    expect(await b.release(taken!)).toBe(true);
    expect(await redis.exists(key)).toBe(0);
  });

  it('renews while a long piece of work holds it, so nobody else gets in', async () => {
    const key = `${prefix}:long`;
    const a = await lock(900);
    const b = await lock(900);
    let contended = 0;
    const outcome = await a.withLock(key, async (held) => {
      // Several TTLs long: without renewals the key would expire and b would get in.
      for (let i = 0; i < 8; i++) {
        await sleep(250);
        if (await b.acquire(key)) throw new Error('another replica got the lock while it was held');
        contended += 1;
      }
      return held.lost;
    });
    expect(outcome).toMatchObject({ result: false, releasedCleanly: true });
    expect(outcome!.roundTrips).toBeGreaterThan(2);
    expect(contended).toBe(8);
    expect(a.stats.roundTrips).toBeGreaterThan(2);
  });

  it('withLock reports the lock lost when the key was taken over during the work', async () => {
    const key = `${prefix}:taken`;
    const a = await lock(10_000);
    const outcome = await a.withLock(key, async (held) => {
      // Another party overwrites the key (as after an expiry and a new SET NX): renewals must now fail.
      await redis.set(key, 'someone-else', 'PX', 10_000);
      expect(await a.renew(held)).toBe(false);
      return held.signal.reason instanceof LockLostError;
    });
    expect(outcome).toEqual({ result: true, releasedCleanly: false, roundTrips: 3 });
    expect(await redis.get(key)).toBe('someone-else');
    expect(a.stats.lost).toBe(1);
  });
});
