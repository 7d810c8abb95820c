import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { natsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  createLogger,
  createMetrics,
  eventStreamReadiness,
  Lifecycle,
  natsResources,
  runMain,
  startOpsServer,
  verifyNatsResources,
} from '@cm/platform';
import { EventFollower } from './adapters/event-follower.js';
import { loadReadModel } from './adapters/read-model.loader.js';
import { RulesModule } from './app.module.js';
import { ResultCache } from './cache/result-cache.js';
import { loadRulesConfig } from './config.js';
import { Evaluator } from './evaluator.js';
import { compileErrors, RulesMetrics } from './rules.metrics.js';
import { RulesState } from './rules-state.js';
import { natsMicroserviceOptions } from '@cm/platform/nest';

/** Queue group of `<prefix>.rules.evaluate`: each request goes to one instance. */
const RULES_QUEUE = 'rules-service';

runMain(async () => {
  const config = loadRulesConfig();
  const logger = createLogger('rules-service', config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);

  const nats = await connectNats(config.NATS_URL, 'rules-service', logger);
  lifecycle.onStop('nats', () => closeNats(nats));
  // The provisioner (`cm provision`, the launcher) owns the stream's settings; a mismatch stops the start here.
  await verifyNatsResources(nats.jsm, natsResources(names, config), 'rules-service');

  const cache = new ResultCache({
    maxKeys: config.RULES_CACHE_MAX_KEYS,
    ttlSeconds: config.RULES_CACHE_TTL,
    checkPeriodSeconds: config.RULES_CACHE_CHECK_PERIOD,
  });
  lifecycle.onStop('cache', () => cache.close());
  const state = new RulesState(cache);
  const evaluator = new Evaluator(state, {
    maxOps: config.RULES_MAX_OPERATIONS,
    maxArray: config.RULES_MAX_ARRAY,
    maxString: 100_000,
  });
  const registry = createMetrics('rules-service');
  const follower = new EventFollower(nats, names, state, logger, {
    registry,
    maxLagSeconds: config.RULES_READY_MAX_LAG_SECONDS,
  });
  const metrics = new RulesMetrics(registry, cache, evaluator, state, () => follower.applyErrors);

  // Ops first, so /health answers while the read model loads; /ready waits for the definitions and the head.
  let loaded = false;
  const ops = await startOpsServer({
    service: 'rules-service',
    port: config.RULES_OPS_PORT,
    logger,
    registry,
    accepting: () => lifecycle.accepting,
    health: () => ({ rules: healthFigures() }),
    checks: [
      eventStreamReadiness(nats.jsm, names),
      {
        name: 'rules',
        check: async () => {
          if (!loaded) throw new Error('loading definitions and facts from the read model');
          if (!follower.atHead) throw new Error(`catching up with the event stream (applied ${state.appliedSeq})`);
          return { appliedSeq: state.appliedSeq };
        },
      },
      ...follower.checks,
    ],
  });
  lifecycle.onStop('ops server', () => closeServer(ops));

  const healthFigures = () => {
    const lookups = cache.hits + cache.misses;
    return {
      appliedSeq: state.appliedSeq,
      cacheSize: cache.size,
      cacheHits: cache.hits,
      cacheMisses: cache.misses,
      cacheHitRate: lookups === 0 ? null : Math.round((cache.hits / lookups) * 1000) / 1000,
      evaluations: evaluator.stats.evaluations,
      evaluationErrors: evaluator.stats.errors,
      invalidations: cache.invalidations,
      compileErrors: compileErrors(state),
    };
  };

  const checkpoint = await loadReadModel(config.DATABASE_URL, config.DATABASE_SCHEMA, state);
  loaded = true;
  await follower.start(checkpoint + 1);
  lifecycle.onStop('event follower', () => follower.stop());
  logger.info(
    { checkpoint, compileErrors: compileErrors(state) },
    'rules: read model loaded, following the event stream',
  );

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    RulesModule.register(
      { evaluator, follower, metrics, logger, minSeqTimeoutMs: config.RULES_MIN_SEQ_TIMEOUT_MS },
      names.rulesEvaluateSubject,
    ),
    natsMicroserviceOptions({ connection: nats.nc, queue: RULES_QUEUE, logger }),
  );
  await app.listen();
  // Registered last so it runs first: stop taking requests before the follower and NATS stop.
  lifecycle.onStop('rules intake', () => app.close());
  logger.info({ subject: names.rulesEvaluateSubject, queue: RULES_QUEUE }, 'rules service ready');
});
