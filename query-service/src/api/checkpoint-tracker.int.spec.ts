import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AppError, natsNames, type NatsNames } from '@cm/contracts';
import { closeNats, connectNats, createLogger, ensureEventStream, LOCAL_DEFAULTS, type Nats } from '@cm/platform';
import { CheckpointTracker } from './checkpoint-tracker.js';

// Real NATS: announcements are real core-NATS publishes on a namespace of our own, the stream head is a
// real stream (deleted afterwards). The committed checkpoint is a variable the test moves, as a projector
// committing batches would.
const logger = createLogger('checkpoint-tracker-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let nats: Nats;
let names: NatsNames;
let committed = 0;
let failReads = false;
const trackers: CheckpointTracker[] = [];

beforeAll(async () => {
  names = natsNames(`t${randomBytes(5).toString('hex')}`);
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'checkpoint-tracker-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  for (let i = 0; i < 3; i += 1) await nats.js.publish(`${names.prefix}.evt.c.main.kingdom.k${i}`, '{}');
});

afterEach(async () => {
  for (const t of trackers.splice(0)) await t.stop();
  failReads = false;
});

afterAll(async () => {
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

async function tracker(seed: number, pollMs = 10_000): Promise<CheckpointTracker> {
  committed = seed;
  const t = new CheckpointTracker({
    nc: nats.nc,
    subject: names.checkpointSubject('postgres'),
    projection: 'postgres',
    readCheckpoint: async () => {
      if (failReads) throw new Error('database down');
      return committed;
    },
    streamHead: async () => (await nats.jsm.streams.info(names.eventStream)).state.last_seq,
    logger,
    pollMs,
  });
  trackers.push(t);
  await t.start();
  return t;
}

const announce = async (seq: number, projection = 'postgres') => {
  nats.nc.publish(names.checkpointSubject('postgres'), JSON.stringify({ projection, seq }));
  await nats.nc.flush();
};

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

const tick = () => new Promise((r) => setTimeout(r, 50));

/** A tracker of the Redis projection on its own subject, its committed checkpoint fixed at `seed`. */
async function redisTracker(seed: number): Promise<CheckpointTracker> {
  const t = new CheckpointTracker({
    nc: nats.nc,
    subject: names.checkpointSubject('redis'),
    projection: 'redis',
    readCheckpoint: async () => seed,
    logger,
  });
  trackers.push(t);
  await t.start();
  return t;
}

describe('CheckpointTracker', () => {
  it('waitForAny: releases a read when either model reaches its sequence, and the other stops waiting', async () => {
    const pg = await tracker(2);
    const redis = await redisTracker(0);
    const waiting = CheckpointTracker.waitForAny([pg, redis], 5, 5000);
    nats.nc.publish(names.checkpointSubject('redis'), JSON.stringify({ projection: 'redis', seq: 5 }));
    await nats.nc.flush();
    await waiting;
    expect([pg.appliedSeq, redis.appliedSeq]).toEqual([2, 5]);
    expect((pg as unknown as { waiters: Set<unknown> }).waiters.size).toBe(0);
    const e = await rejection(CheckpointTracker.waitForAny([pg, redis], 6, 100));
    expect(e.code).toBe('STALE_READ');
    expect(e.details).toMatchObject({ minSeq: 6, appliedSeq: 2 });
  });

  it('starts from the committed checkpoint and answers reads at or below it at once', async () => {
    const t = await tracker(5);
    expect(t.appliedSeq).toBe(5);
    await t.waitFor(5, 0);
  });

  it('releases a waiter when an announcement reaches its sequence, not before', async () => {
    const t = await tracker(0);
    let released = false;
    const waiting = t.waitFor(9, 5000).then(() => (released = true));
    await announce(7);
    await tick();
    expect(released).toBe(false);
    expect(t.appliedSeq).toBe(7);
    await announce(10);
    await waiting;
    expect(t.appliedSeq).toBe(10);
  });

  it('never moves backwards, and ignores other projections and garbage', async () => {
    const t = await tracker(20);
    await announce(12);
    await announce(99, 'redis');
    nats.nc.publish(names.checkpointSubject('postgres'), 'not json');
    await nats.nc.flush();
    await tick();
    expect(t.appliedSeq).toBe(20);
  });

  it('answers STALE_READ when the projection does not get there in time', async () => {
    const t = await tracker(3);
    const started = performance.now();
    const e = await rejection(t.waitFor(4, 150));
    expect(e.code).toBe('STALE_READ');
    expect(e.details).toMatchObject({ minSeq: 4, appliedSeq: 3 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('recovers a lost announcement from the committed checkpoint while someone waits', async () => {
    const t = await tracker(1, 50);
    const waiting = t.waitFor(3, 5000);
    committed = 3; // committed, but its announcement never arrives
    await waiting;
    expect(t.appliedSeq).toBe(3);
  });

  it('refuses at once a sequence beyond the end of the stream when asked to verify it', async () => {
    const t = await tracker(0);
    const started = performance.now();
    const e = await rejection(t.waitFor(1_000_000, 5000, { verifyIssued: true }));
    expect(e.code).toBe('STALE_READ');
    expect(e.details).toMatchObject({ minSeq: 1_000_000, headSeq: 3 });
    expect(performance.now() - started).toBeLessThan(1000);
    // A sequence that exists is waited for as usual.
    const waiting = t.waitFor(2, 5000, { verifyIssued: true });
    await announce(2);
    await waiting;
  });

  it('is ready once subscribed and seeded; a failed seed is retried by the readiness check', async () => {
    failReads = true;
    const t = await tracker(8);
    await expect(t.readiness.check()).rejects.toThrow(/not read yet/);
    failReads = false;
    await expect(t.readiness.check()).resolves.toEqual({ projection: 'postgres', appliedSeq: 8 });
    await t.stop();
    await expect(t.readiness.check()).rejects.toThrow(/not subscribed/);
  });

  it('lets pending reads go with UNAVAILABLE when stopped', async () => {
    const t = await tracker(0);
    const waiting = rejection(t.waitFor(50, 60_000));
    await t.stop();
    expect((await waiting).code).toBe('UNAVAILABLE');
  });
});
