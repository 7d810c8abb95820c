import { Kvm, type KV } from '@nats-io/kv';
import { natsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace } from '@cm/testkit';
import { testLogger } from './int-support.test-util.js';
import { ProjectionLease } from './lease.js';

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

const open = (projection: string) => ProjectionLease.open({ nats, names, projection, ttlMs: TTL, logger: testLogger() });

function lost(lease: ProjectionLease): Promise<string> {
  return new Promise((resolve) => lease.startRenewing(resolve));
}

describe('projection lease', () => {
  it('has one holder; another instance cannot take it while it is renewed', async () => {
    const a = await open('one');
    const b = await open('one');
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    a.startRenewing(() => undefined);
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
});
