import { natsNames } from '@cm/contracts';
import { closeNats, closeServer, connectNats, createLogger, createMetrics, Lifecycle, runMain, startOpsServer } from '@cm/platform';
import { loadSchedulerConfig } from './config.js';

const SERVICE = 'scheduler-service';

// A placeholder process until the cron jobs and the job queue are built (DESIGN §7). It already starts, reports
// readiness and shuts down like every other service, so deployments and the launcher can include it.
runMain(async () => {
  const config = loadSchedulerConfig();
  const logger = createLogger(SERVICE, config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);

  const nats = await connectNats(config.NATS_URL, SERVICE, logger);
  lifecycle.onStop('nats', () => closeNats(nats));

  const ops = await startOpsServer({
    service: SERVICE,
    port: config.SCHEDULER_OPS_PORT,
    logger,
    registry: createMetrics(SERVICE),
    accepting: () => lifecycle.accepting,
    checks: [{ name: 'nats', check: async () => ({ rttMs: await nats.nc.rtt() }) }],
  });
  // Registered last so it runs first: stop answering ready before the connection drains.
  lifecycle.onStop('ops server', () => closeServer(ops));
  logger.warn(
    { jobs: names.jobWildcard },
    'scheduler-service is a placeholder awaiting its own issue: it serves /health, /ready and /metrics and does nothing else yet');
});
