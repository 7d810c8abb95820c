import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { natsNames } from '@cm/contracts';
import { LOCAL_DEFAULTS } from './config.js';
import { streamLags } from './consumer-lag.js';
import { Registry } from './metrics.js';
import { closeNats, connectNats, type Nats } from './nats.js';
import { ensureEventStream } from './nats-resources.js';
import { StreamFollower } from './stream-follower.js';

// A process's own ordered follower against the NATS server on this machine, on a stream of its own: listed by the
// operators' lag report, on /metrics under its stable label, and unready while what it applied is too old.
const names = natsNames(`f${randomBytes(5).toString('hex')}`);
let nats: Nats;

beforeAll(async () => {
  nats = await connectNats(process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL, 'follower-test', pino({ level: 'silent' }));
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
});

afterAll(async () => {
  await nats.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await closeNats(nats);
});

describe('StreamFollower', () => {
  it('is listed and measured like a durable consumer, and fails readiness while its applied event is too old', async () => {
    const subject = `${names.prefix}.evt.c1.main.kingdom.k1`;
    const first = (await nats.js.publish(subject, '{}')).seq;
    const registry = new Registry();
    let applied = 0;
    const follower = new StreamFollower(nats, {
      stream: names.eventStream,
      filter: names.eventWildcard,
      role: 'test',
      registry,
      appliedSeq: () => applied,
      maxLagSeconds: 1,
      maxLagSetting: 'TEST_MAX_LAG',
    });
    const [check] = follower.checks;
    expect(check!.name).toBe('test-lag');
    await expect(check!.check()).rejects.toThrow('consumer follower-test not found');

    const messages = await follower.open(1);
    const reader = (async () => {
      for await (const m of messages) if (m.seq === first) break;
    })();
    await reader;

    // Nothing applied: the oldest unapplied event is the first, and it only grows older.
    await sleep(1200);
    await expect(check!.check()).rejects.toThrow(/^follower-test \d+\.\d s behind \(over TEST_MAX_LAG=1\)$/);
    const text = await registry.metrics();
    expect(text).toMatch(
      new RegExp(
        `^cm_consumer_seconds_behind\\{stream="${names.eventStream}",consumer="follower-test"\\} ([1-9]|\\d+\\.)`,
        'm',
      ),
    );

    applied = first;
    follower.applied(1, performance.now());
    await sleep(1100); // past the one-second sample
    await expect(check!.check()).resolves.toMatchObject({ secondsBehind: 0, appliedSeq: first, lastSeq: first });
    const after = await registry.metrics();
    expect(after).toMatch(/^cm_projector_events_applied_total\{projection="test"\} 1$/m);
    expect(after).toMatch(/^cm_projector_batch_events_count\{projection="test"\} 1$/m);

    // The operators' report lists it by its server-side name, with the server's figures.
    const lags = await streamLags(nats.jsm, [names.eventStream]);
    expect(lags.map((l) => l.consumer)).toEqual([expect.stringMatching(new RegExp(`^follower-test-${process.pid}-`))]);
    messages.stop();
  });
});
