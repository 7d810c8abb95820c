import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { tuneNatsClient } from './nats-client-tuning.js';
import { NatsLink } from './nats-link.js';
import type { ReadinessCheck } from './ops-http.js';

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Whether the connection is up right now, read synchronously (see `NatsLink`). */
  link: NatsLink;
}

/**
 * The one way to connect to NATS: named connections (visible in `nats server report connections`),
 * reconnect forever with jitter, and connection state changes logged.
 */
export async function connectNats(url: string, name: string, logger: Logger): Promise<Nats> {
  const nc = await connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    reconnectJitter: 250,
    pingInterval: 10_000,
    // Async stack traces cost two captured Error objects per request, a cost CPU profiles showed (docs/perf.md).
    // Our errors carry codes and context instead.
    noAsyncTraces: true,
  });
  tuneNatsClient(nc, logger);
  const link = NatsLink.watch(nc, logger);
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  return { nc, js: jetstream(nc, { timeout: 10_000 }), jsm, link };
}

/**
 * `check` behind the connection state: while NATS is down it fails at once with the reason, instead of sending a
 * request that would wait out its timeout (nats.js keeps requests pending while it reconnects).
 */
export function whileConnected(link: NatsLink, check: ReadinessCheck): ReadinessCheck {
  return {
    name: check.name,
    check: () => {
      const down = link.downReason();
      return down ? Promise.reject(new Error(down)) : check.check();
    },
  };
}

export async function closeNats(nats: Nats | undefined): Promise<void> {
  if (!nats || nats.nc.isClosed()) return;
  await nats.nc.drain().catch(() => nats.nc.close());
}

export { NatsLink, type NatsLinkState } from './nats-link.js';
export type { NatsConnection, JetStreamClient, JetStreamManager };
