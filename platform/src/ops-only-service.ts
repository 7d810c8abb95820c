import type { Logger } from 'pino';
import type { BaseConfig } from './config.js';
import { createLogger } from './logger.js';
import { closeNats, connectNats, whileConnected } from './nats.js';
import { createMetrics } from './metrics.js';
import { closeServer, startOpsServer } from './ops-http.js';
import { Lifecycle } from './lifecycle.js';

/**
 * A service that so far only connects to NATS and serves /health, /ready (NATS round trip) and /metrics, with the
 * same logging and graceful shutdown as every other service: the shape of a service whose real work is still to
 * come, so deployments and the launcher can already include it. Returns the logger for the caller's last word.
 */
export async function startOpsOnlyService(service: string, config: BaseConfig, port: number): Promise<Logger> {
  const logger = createLogger(service, config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const nats = await connectNats(config.NATS_URL, service, logger);
  lifecycle.onStop('nats', () => closeNats(nats));
  const ops = await startOpsServer({
    service,
    port,
    logger,
    registry: createMetrics(service),
    accepting: () => lifecycle.accepting,
    checks: [whileConnected(nats.link, { name: 'nats', check: async () => ({ rttMs: await nats.nc.rtt() }) })],
  });
  // Registered last so it runs first: stop answering ready before the connection drains.
  lifecycle.onStop('ops server', () => closeServer(ops));
  return logger;
}
