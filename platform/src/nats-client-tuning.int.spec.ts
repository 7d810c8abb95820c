import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { errors } from '@nats-io/transport-node';
import { closeNats, connectNats, type Nats } from './nats.js';
import { LOCAL_DEFAULTS } from './config.js';
import {
  installedNatsClientVersions,
  NATS_CLIENT_TUNED_FOR,
  natsClientVersionDrift,
  tuneNatsClient,
} from './nats-client-tuning.js';

// Against the NATS server on this machine: the tuned client still behaves like the client, and it writes once
// per event-loop turn.
const url = process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL;
const logger = pino({ level: 'silent' });

describe('tuned NATS client', () => {
  let server: Nats;
  let client: Nats;
  const subject = `tuning.${process.pid}.${Date.now()}`;

  beforeAll(async () => {
    server = await connectNats(url, 'tuning-server', logger);
    client = await connectNats(url, 'tuning-client', logger);
    server.nc.subscribe(`${subject}.echo`, { callback: (_e, m) => m.respond(m.data) });
    await server.nc.flush();
  });
  afterAll(async () => {
    await closeNats(client);
    await closeNats(server);
  });

  it('applies both patches to the installed client: a client whose internals changed shape fails here', () => {
    expect(tuneNatsClient(client.nc)).toEqual({ coalesceSocketWrites: true, skipSettledCancelError: true });
  });

  it('is the client version the patches were written for (after an upgrade: re-check them, then the version)', () => {
    expect(installedNatsClientVersions()).toEqual(NATS_CLIENT_TUNED_FOR);
    expect(natsClientVersionDrift()).toEqual([]);
    expect(natsClientVersionDrift({ '@nats-io/nats-core': '3.5.0', '@nats-io/transport-node': '3.4.0' })).toEqual([
      '@nats-io/nats-core 3.5.0 (tuned for 3.4.0)',
    ]);
  });

  it('answers requests, many at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.nc.request(`${subject}.echo`, `m${i}`, { timeout: 5_000 })),
    );
    expect(replies.map((r) => r.string())).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });

  it('still rejects a request nobody answers, and one that times out', async () => {
    const noResponders = await client.nc.request(`${subject}.nobody`, 'x', { timeout: 2_000 }).catch((e: unknown) => e);
    expect(noResponders).toBeInstanceOf(errors.RequestError);
    expect((noResponders as errors.RequestError).isNoResponders()).toBe(true);

    server.nc.subscribe(`${subject}.silent`, { callback: () => undefined });
    await server.nc.flush();
    const timedOut = await client.nc.request(`${subject}.silent`, 'x', { timeout: 200 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(errors.TimeoutError);
  });

  it('sends what one event-loop turn publishes from separate callbacks in one socket write', async () => {
    const socket = (
      client.nc as unknown as {
        protocol: { transport: { socket: { _writev: (...a: unknown[]) => void; _write: (...a: unknown[]) => void } } };
      }
    ).protocol.transport.socket;
    let writes = 0;
    const writev = socket._writev.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (...a: unknown[]) => ((writes += 1), writev(...a));
    socket._write = (...a: unknown[]) => ((writes += 1), write(...a));
    const received: string[] = [];
    const sub = server.nc.subscribe(`${subject}.burst`, { callback: (_e, m) => received.push(m.string()) });
    await server.nc.flush();
    try {
      // Each publish in its own callback of one loop phase (as replies to separate incoming messages are), with
      // the microtask queue drained in between: untuned, each is its own write. Immediates queued together run in
      // one check phase (timers due together may not: they can fall into two turns).
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 20; i += 1) setImmediate(() => client.nc.publish(`${subject}.burst`, `b${i}`));
        setImmediate(() => setImmediate(resolve));
      });
      expect(writes).toBe(1);
      await client.nc.flush();
      await server.nc.flush();
      await expect.poll(() => received.length).toBe(20);
    } finally {
      socket._writev = writev;
      socket._write = write;
      sub.unsubscribe();
    }
  });
});
