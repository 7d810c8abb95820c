import { Kvm, type KV } from '@nats-io/kv';
import { natsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace } from '@cm/testkit';
import { testLogger } from './int-support.test-util.js';
import { ProjectionLease } from './lease.js';
import { ProgressWatch } from './progress-watch.js';

// The lease against the real KV bucket: who may take it, when it counts as lost, and that an instance whose
// renewal failed takes its own key back at once instead of stalling the projection until the key expires.
const names = natsNames(testNamespace());
let nats: Nats;
let kv: KV;
const TTL = 3000;

beforeAll(async () => {
  nats = await connectTestNats('lease-test');
  kv = await new Kvm(nats.js).create(names.leaseBucket, { ttl: TTL, history: 1 });
});

afterAll(async () => {
  await dropNamespace(nats, names);
  await closeTestNats(nats);
});

const open = (projection: string) =>
  ProjectionLease.open({ nats, names, projection, ttlMs: TTL, logger: testLogger() });

/** An apply loop idle at the head: always worth renewing for. */
const idle = () => new ProgressWatch(60_000);

function lost(lease: ProjectionLease, progress = idle()): Promise<string> {
  return new Promise((resolve) => lease.startRenewing(resolve, progress));
}

describe('projection lease', () => {
  it('has one holder; another instance cannot take it while it is renewed', async () => {
    const a = await open('one');
    const b = await open('one');
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    a.startRenewing(() => undefined, idle());
    await new Promise((r) => setTimeout(r, TTL * 1.5));
    expect(await b.tryAcquire()).toBe(false);
    expect(a.isValid()).toBe(true);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    await b.release();
  });

  it('counts a write by someone else as loss, and does not take a key another instance holds', async () => {
    const a = await open('two');
    expect(await a.tryAcquire()).toBe(true);
    const reason = lost(a);
    await kv.put('projection-two', JSON.stringify({ holder: 'someone-else' }));
    expect(await reason).toMatch(/wrong last sequence/i);
    expect(a.held).toBe(false);
    expect(await a.tryAcquire()).toBe(false);
    await kv.delete('projection-two');
    expect(await a.tryAcquire()).toBe(true);
    await a.release();
  });

  it('takes back its own key after losing the revision, without waiting for the key to expire', async () => {
    const a = await open('three');
    const other = await open('three');
    expect(await a.tryAcquire()).toBe(true);
    const reason = lost(a);
    // The key moves under a's feet but still names a (as a retried write of its own would leave it).
    await kv.put('projection-three', JSON.stringify({ holder: a.holder }));
    await reason;
    expect(a.held).toBe(false);
    expect(await other.tryAcquire()).toBe(false);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.isValid()).toBe(true);
    await a.release();
  });

  it('is given up at once, not renewed, when the apply loop stalls', async () => {
    const a = await open('four');
    const b = await open('four');
    expect(await a.tryAcquire()).toBe(true);
    const watch = new ProgressWatch(100);
    const reason = lost(a, watch);
    watch.working(); // and never a committed batch after
    expect(await reason).toMatch(/^no progress for \d+ s; lease given up$/);
    expect(a.held).toBe(false);
    // Deleted by a, not expired (an expired key leaves no entry): b need not wait out the TTL.
    for (;;) {
      const entry = await kv.get('projection-four');
      if (entry?.operation === 'DEL') break;
      expect(entry?.json<{ holder: string }>().holder).toBe(a.holder);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await b.tryAcquire()).toBe(true);
    await b.release();
  });
});
