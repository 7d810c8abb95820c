import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { natsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  ConsumerLagMetrics,
  createLogger,
  createMetrics,
  eventStreamReadiness,
  Lifecycle,
  natsResources,
  runMain,
  startOpsServer,
  verifyNatsResources,
} from '@cm/platform';
import { AppModule } from './app.module.js';
import { CommandProcessor } from './application/command-processor.js';
import { CommandMetrics } from './command.metrics.js';
import { loadCommandConfig } from './config.js';
import { createRepository } from './event-store/create-repository.js';
import { JetStreamEventStore } from './event-store/jetstream.event-store.js';
import { EntityHistory } from './history/entity-history.js';
import { serveHistory } from './history/history.responder.js';
import { streamCommits } from './history/subject-commits.js';
import { SagaRunner } from './sagas/saga-runner.js';
import { natsMicroserviceOptions } from '@cm/platform/nest';

runMain(async () => {
  const config = loadCommandConfig();
  const logger = createLogger('command-service', config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);

  const nats = await connectNats(config.NATS_URL, 'command-service', logger);
  lifecycle.onStop('nats', () => closeNats(nats));
  // The provisioner (`cm provision`, the launcher) owns the stream's and the sagas' consumers' settings; a mismatch
  // stops the start here.
  await verifyNatsResources(nats.jsm, natsResources(names, config), 'command-service');
  logger.info({ stream: names.eventStream }, 'event stream verified');

  const registry = createMetrics('command-service');
  const metrics = new CommandMetrics(registry);
  const repo = createRepository(new JetStreamEventStore(nats, names), config.AGGREGATE_CACHE_SIZE);
  const processor = new CommandProcessor(repo, config.CONFLICT_RETRIES, logger, metrics);

  if (config.SAGAS_ENABLED) {
    const sagas = new SagaRunner(nats, names, processor, repo, logger);
    await sagas.start();
    // The sagas' consumers' lag on /metrics, measured like `cm lag` (issue 13).
    new ConsumerLagMetrics(
      nats.jsm,
      sagas.definitions().map((s) => ({ stream: names.eventStream, consumer: names.sagaConsumer(s.name) })),
      registry,
    );
    lifecycle.onStop('sagas', () => sagas.stop());
  }

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    AppModule.register({ processor, logger, metrics, prefix: names.prefix }),
    natsMicroserviceOptions({ connection: nats.nc, queue: names.commandQueue, logger }),
  );
  await app.listen();
  const history = new EntityHistory({
    commits: streamCommits(nats, names.eventStream),
    subjectOf: (a) => names.eventSubject(a),
    lineage: (c, b) => repo.lineage(c, b),
  });
  const historySub = serveHistory(nats, names, history, logger);
  lifecycle.onStop('history requests', async () => historySub.unsubscribe());
  // Registered last so it runs first: stop taking commands, then finish sagas, then drain NATS.
  lifecycle.onStop('command intake', () => app.close());

  const ops = await startOpsServer({
    service: 'command-service',
    port: config.COMMAND_OPS_PORT,
    logger,
    registry,
    accepting: () => lifecycle.accepting,
    checks: [eventStreamReadiness(nats.jsm, names)],
  });
  lifecycle.onStop('ops server', () => closeServer(ops));
  logger.info({ subjects: `${names.prefix}.cmd.>`, queue: names.commandQueue }, 'command service ready');
});
