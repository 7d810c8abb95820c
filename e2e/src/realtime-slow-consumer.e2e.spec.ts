import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { signToken } from '@cm/platform';
import { inParallel, metricValue, startRealtimeSystem, subscriptionsOpen, Writer } from './realtime.test-util.js';
import { SseReader } from './sse-client.test-util.js';

// A client that stops reading must not grow the gateway: it is cut off at its queue bound while the others
// keep receiving, and it resumes by sequence afterwards. Small bounds make the cut come soon.
const MAX_BYTES = 256 * 1024;
let system: System;
let secret: string;
let gateway: string;
let gm: Writer;
let created: number;
let slowReader: ChildProcess | undefined;
const C = 'crown';

beforeAll(async () => {
  ({ system, secret, gateway } = await startRealtimeSystem({
    REALTIME_QUEUE_MAX_BYTES: String(MAX_BYTES),
    REALTIME_QUEUE_MAX_MESSAGES: '200',
  }));
  gm = await Writer.as(system, secret, 'gm');
  created = await gm.campaign(C);
});

afterAll(async () => {
  slowReader?.kill();
  await system?.stop({ cleanup: true });
});

const SLOW_READER = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('127.0.0.1', int(sys.argv[1])))
s.sendall(('GET %s HTTP/1.1\\r\\nHost: gateway\\r\\nAuthorization: Bearer %s\\r\\nAccept: text/event-stream\\r\\n\\r\\n' % (sys.argv[2], sys.argv[3])).encode())
print('connected', flush=True)
time.sleep(600)
`;

const metrics = async () => (await fetch(`${gateway}/metrics`)).text();

describe('a slow reader', () => {
  it('is cut off at its bound while others keep receiving, and gateway memory stays bounded', async () => {
    const token = await signToken(secret, 'gm');
    const rssBefore = metricValue(await metrics(), 'process_resident_memory_bytes');

    // The slow reader: a socket with a 4 KB receive buffer (fixed before connecting, so the kernel cannot grow
    // it) that sends its request and never reads. Node cannot size a TCP receive buffer; Python can.
    const slow = spawn(
      'python3',
      ['-c', SLOW_READER, new URL(gateway).port, `/events?campaign=${C}&coalesce=0`, token],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    slowReader = slow;
    await new Promise<void>((resolve) => slow.stdout.once('data', () => resolve()));
    await subscriptionsOpen(gateway, 1);
    const healthy = await SseReader.open(`${gateway}/events?campaign=${C}&coalesce=0`, {
      authorization: `Bearer ${token}`,
    });

    // ~10 KB per event: well past the slow socket's kernel buffers and its 256 KB queue.
    const big = 'x'.repeat(9_990);
    const written = await inParallel(
      8,
      Array.from(
        { length: 800 },
        (_, i) => async () =>
          (
            await gm.client.ok<any>(
              `mutation($c: ID!, $k: String!, $v: VariableValueInput!) { setStateVariable(campaignId: $c, ownerType: CAMPAIGN, ownerId: $c, key: $k, value: $v) { seq } }`,
              { c: C, k: `k${i % 20}`, v: { type: 'STRING', value: `${i}${big}` } },
            )
          ).setStateVariable.seq as number,
      ),
    );
    written.sort((a, b) => a - b);
    const last = written.at(-1)!;

    await healthy.until((r) => r.updates().some((u) => u.seq === last), 60_000, 'every event at the healthy reader');
    expect(healthy.updates().map((u) => u.seq)).toEqual(written);
    const text = await metrics();
    expect(metricValue(text, 'realtime_dropped_total', 'reason="SLOW_CONSUMER"')).toBe(1);
    const rssAfter = metricValue(text, 'process_resident_memory_bytes');
    // 8 MB went to each reader; a gateway that buffered for the slow one without bound would hold all of it.
    // The bound is generous on purpose (allocator and GC noise), but below what 8 MB per slow reader x a few
    // readers would cost.
    expect(rssAfter - rssBefore).toBeLessThan(64 * 1024 * 1024);
    healthy.close();

    slow.kill();
    // It read nothing; it resumes from the last seq it knew, and gets exactly the rest.
    const lastSeen = created;
    const resumed = await SseReader.open(`${gateway}/events?campaign=${C}&coalesce=0`, {
      authorization: `Bearer ${token}`,
      'last-event-id': String(lastSeen),
    });
    await resumed.until((r) => r.updates().some((u) => u.seq === last), 60_000, 'the rest after resuming');
    expect(resumed.updates().map((u) => u.seq)).toEqual(written.filter((s) => s > lastSeen));
    resumed.close();
  });
});
