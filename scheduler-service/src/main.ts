import { Redis } from 'ioredis';
import { natsNames } from '@cm/contracts';
import {
  closeNats,
  connectNats,
  ConsumerLagMetrics,
  createLogger,
  createMetrics,
  Lifecycle,
  natsResources,
  runMain,
  verifyNatsResources,
} from '@cm/platform';
import { cronExpressions, loadSchedulerConfig } from './config.js';
import { CronPlanner } from './cron/cron-planner.js';
import { CommandSender } from './jobs/command-sender.js';
import { JobQueue } from './jobs/job-queue.js';
import { JobWorker } from './jobs/job-worker.js';
import { RedisLock } from './lock/redis-lock.js';
import { closeServer, startSchedulerOps } from './ops/ops-server.js';
import { SchedulerReadModel } from './read-model/read-model.adapter.js';
import { schedulerMetrics } from './scheduler.metrics.js';
import { WorldEventTimer } from './world-events/due-timer.js';

// The scheduler (DESIGN §7): cron ticks planned under a Redis lock, a due-time timer for world events, and a
// worker pulling the CM_JOBS work queue. Any number of replicas run the same process.
runMain(async () => {
  const config = loadSchedulerConfig();
  const service = 'scheduler-service';
  const logger = createLogger(service, config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);
  const registry = createMetrics(service);
  const metrics = schedulerMetrics(registry);

  const nats = await connectNats(config.NATS_URL, service, logger);
  lifecycle.onStop('nats', () => closeNats(nats));
  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  lifecycle.onStop('redis', async () => void (await redis.quit().catch(() => redis.disconnect())));
  const readModel = new SchedulerReadModel(config.DATABASE_URL, config.DATABASE_SCHEMA, config.DATABASE_POOL_MAX);
  lifecycle.onStop('postgres', () => readModel.close());

  // The provisioner (`cm provision`, the launcher) owns the job stream and its consumer; a mismatch stops the start.
  await verifyNatsResources(nats.jsm, natsResources(names, config), service);
  const queue = new JobQueue(nats, names);
  // The job queue's consumer lag on /metrics, measured like `cm lag` (issue 13).
  new ConsumerLagMetrics(nats.jsm, [{ stream: names.jobStream, consumer: queue.subjects.workerConsumer }], registry);
  const lock = new RedisLock(redis, config.SCHEDULER_LOCK_TTL_MS);
  await lock.init();

  const sender = new CommandSender(nats.nc, names, config.COMMAND_TIMEOUT_MS, logger);
  const worker = new JobWorker(
    await queue.consumer(),
    queue,
    { readModel, sender, commandConcurrency: config.SCHEDULER_COMMAND_CONCURRENCY },
    {
      concurrency: config.SCHEDULER_CONCURRENCY,
      maxAttempts: config.SCHEDULER_JOB_MAX_ATTEMPTS,
      backoffMs: config.SCHEDULER_JOB_BACKOFF_MS,
      ackWaitMs: config.SCHEDULER_JOB_ACK_WAIT_MS,
    },
    metrics,
    logger,
  );
  const planner = new CronPlanner(
    queue,
    lock,
    readModel,
    {
      lockPrefix: config.CM_NAMESPACE,
      expressions: cronExpressions(config),
      horizonMs: config.SCHEDULER_CATCHUP_HORIZON,
      batchSize: config.SCHEDULER_BATCH_SIZE,
    },
    metrics,
    logger,
  );
  const timer = new WorldEventTimer(nats, names, readModel, queue, metrics, logger);

  worker.start();
  lifecycle.onStop('job worker', () => worker.stop());
  await timer.start();
  lifecycle.onStop('world-event timer', () => timer.stop());
  planner.start();
  lifecycle.onStop('cron planner', () => planner.stop());

  const ops = await startSchedulerOps({
    service,
    port: config.SCHEDULER_OPS_PORT,
    logger,
    registry,
    accepting: () => lifecycle.accepting,
    checks: [
      { name: 'nats', check: async () => ({ rttMs: await nats.nc.rtt() }) },
      { name: 'jobs', check: () => queue.verifyStream() },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'postgres', check: () => readModel.ping() },
    ],
    details: async () => ({
      jobs: { ...worker.counts, queue: await queue.backlog() },
      crons: planner.status,
      lock: lock.stats,
      worldEvents: { nextDue: timer.nextDue },
    }),
  });
  lifecycle.onStop('ops server', () => closeServer(ops));
  logger.info(
    { crons: cronExpressions(config), horizonMs: config.SCHEDULER_CATCHUP_HORIZON, jobs: names.jobStream },
    'scheduler-service ready',
  );
});
