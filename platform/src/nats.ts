import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { tuneNatsClient } from './nats-client-tuning.js';

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
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
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'error') logger.warn({ nats: s }, 'nats connection problem');
      else if (s.type === 'reconnect') logger.info({ nats: s }, 'nats reconnected');
    }
  })();
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  return { nc, js: jetstream(nc, { timeout: 10_000 }), jsm };
}

export async function closeNats(nats: Nats | undefined): Promise<void> {
  if (!nats || nats.nc.isClosed()) return;
  await nats.nc.drain().catch(() => nats.nc.close());
}

export type { NatsConnection, JetStreamClient, JetStreamManager };
