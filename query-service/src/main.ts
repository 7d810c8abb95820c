import http from 'node:http';
import { natsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  createLogger,
  createMetrics,
  eventStreamReadiness,
  handleOps,
  Lifecycle,
  natsResources,
  runMain,
  verifyNatsResources,
  whileConnected,
  type ReadinessCheck,
} from '@cm/platform';
import { createApi, type Api } from './api/create-api.js';
import { compressLargeAnswers, securityHeaders } from './api/http-edge.js';
import { RateLimits } from './api/rate-limit.js';
import { healthSummary } from './cache/cache-health.js';
import { CacheInvalidator } from './cache/cache-invalidator.js';
import { handleCacheOps, type CacheEdge } from './cache/cache-ops.js';
import { markTtlSeconds } from './cache/computed-fields-cache.js';
import { CacheStats } from './cache/cache-stats.js';
import { openCacheRedis, RedisCache } from './cache/redis-cache.js';
import { warmCampaigns } from './cache/warm.js';
import { loadQueryConfig, rateLimited, rateLimitSettings } from './config.js';
import { opsPageHandler } from './ops/ops-page.js';
import { startProjector } from './projector/postgres-projector.js';
import { openDatabase } from './read-model/database.js';
import { connectModelRedis } from './redis-model/redis-client.js';
import { redisModelPrefix, startRedisProjector } from './redis-model/redis-projector.js';
import { RedisReadModel } from './redis-model/redis-read-model.js';

runMain(async () => {
  const config = loadQueryConfig();
  const logger = createLogger('query-service', config);
  const lifecycle = new Lifecycle(logger, config.SHUTDOWN_TIMEOUT_MS);
  lifecycle.installSignalHandlers();
  const names = natsNames(config.CM_NAMESPACE);
  const registry = createMetrics('query-service');
  const role = config.QUERY_ROLE;

  // Steps stop in reverse order of registration: HTTP intake, projector (its batch in hand), API, database, NATS.
  const nats = await connectNats(config.NATS_URL, `query-service:${role}`, logger);
  lifecycle.onStop('nats', () => closeNats(nats));
  // The provisioner (`cm provision`, the launcher) owns the resources' settings; a mismatch stops the start here.
  const resources = natsResources(names, config);
  if (role !== 'projector') await verifyNatsResources(nats.jsm, resources, 'query-api');
  if (role !== 'api') await verifyNatsResources(nats.jsm, resources, 'query-projector');
  logger.info({ stream: names.eventStream }, 'NATS resources verified');

  const db = await openDatabase(config, logger);
  lifecycle.onStop('database', () => db.close());
  await db.migrateUp();

  const checks: ReadinessCheck[] = [
    { name: 'postgres', check: () => db.ping() },
    // Fails at once while NATS is down instead of waiting out a request that cannot be answered.
    whileConnected(nats.link, eventStreamReadiness(nats.jsm, names)),
  ];

  // The Redis read model: reads and the projection share one connection (commands fail fast while Redis is down).
  const modelRedis =
    config.REDIS_READ_MODEL === 'on' ? connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB) : undefined;
  if (modelRedis) {
    lifecycle.onStop('redis', () => modelRedis.quit());
    // Not a start-up condition: without Redis the API reads Postgres and the projector retries until it is back.
    if (!(await modelRedis.ready(5000)))
      logger.warn({ url: config.REDIS_URL }, 'Redis read model unreachable; reading Postgres until it is back');
  }
  const prefix = redisModelPrefix(names.prefix);

  let api: Api | undefined;
  let edge: CacheEdge | undefined;
  if (role === 'api' || role === 'all') {
    // The cache and the rate limits share one client on the cache's own logical database.
    const redis = openCacheRedis(config.REDIS_URL, config.REDIS_CACHE_DB);
    redis.on('error', () => undefined); // reported by the cache and the limiter, once per outage
    lifecycle.onStop('cache redis', async () => void redis.disconnect());
    const cache = new RedisCache({
      redis,
      prefix: config.CACHE_KEY_PREFIX,
      stats: new CacheStats(registry, config.CACHE_METRICS_ENABLED),
      logger: logger.child({ component: 'cache' }),
      logging: config.CACHE_LOGGING_ENABLED,
      defaultTtlSeconds: config.CACHE_DEFAULT_TTL,
    });
    const rateLimits = rateLimited(config)
      ? new RateLimits({ redis, settings: rateLimitSettings(config), logger, keyPrefix: config.CACHE_KEY_PREFIX })
      : undefined;
    const redisModel = modelRedis ? new RedisReadModel(modelRedis, prefix, config.REDIS_LIST_MAX_MEMBERS) : undefined;
    const created = await createApi({
      config,
      logger,
      nats,
      names,
      readModel: db.readModel,
      registry,
      cache,
      rateLimits,
      health: () => healthSummary(checks, cache),
      ...(redisModel ? { redisModel } : {}),
    });
    api = created;
    lifecycle.onStop('api', () => created.close());
    const invalidator = new CacheInvalidator({
      nats,
      names,
      cache,
      readModel: db.readModel,
      logger: logger.child({ component: 'cache-invalidation' }),
      readModelAt: (seq) => created.readModelAt(seq),
      markTtlSeconds: markTtlSeconds(config.CACHE_COMPUTED_FIELDS_TTL),
    });
    await invalidator.start();
    lifecycle.onStop('cache invalidation', () => invalidator.stop());
    checks.push(...created.checks);
    edge = { cache };
    if (config.CACHE_WARM_CAMPAIGNS.length) {
      const lists = {
        cache,
        ttls: {
          settlements: config.CACHE_SETTLEMENT_TTL,
          structures: config.CACHE_STRUCTURE_TTL,
          spatial: config.CACHE_SPATIAL_TTL,
        },
        appliedSeq: () => 0,
      };
      // In the background: a cold cache is slower, not wrong.
      void warmCampaigns(db.readModel, lists, config.CACHE_WARM_CAMPAIGNS, logger).catch((err: unknown) =>
        logger.warn({ err }, 'cache warming failed'),
      );
    }
  }
  if (role === 'projector' || role === 'all') {
    // A pool of its own, where every statement runs under PROJECTION_STATEMENT_TIMEOUT_MS; API reads and
    // migrations (which may rightly take longer) use the other.
    if (config.QUERY_PROJECTIONS.includes('postgres')) {
      const projectionDb = await openDatabase(config, logger, {
        statementTimeoutMs: config.PROJECTION_STATEMENT_TIMEOUT_MS,
      });
      lifecycle.onStop('projection database', () => projectionDb.close());
      const projector = await startProjector({ config, logger, nats, names, db: projectionDb, registry });
      lifecycle.onStop('projector', () => projector.stop());
      checks.push(...projector.checks);
    }
    if (modelRedis && config.QUERY_PROJECTIONS.includes('redis')) {
      const redisProjector = await startRedisProjector({
        config,
        logger,
        nats,
        names,
        registry,
        redis: modelRedis,
        prefix,
      });
      lifecycle.onStop('redis projector', () => redisProjector.stop());
      checks.push(...redisProjector.checks);
    }
  }

  const ops = { service: 'query-service', registry, checks, accepting: () => lifecycle.accepting };
  const headers = securityHeaders(config.NODE_ENV === 'production');
  // The ops page (/ops, fed by SSE on /ops/lag) outside production: operators' lag view without Grafana.
  const opsPage =
    config.NODE_ENV === 'production'
      ? undefined
      : opsPageHandler({ nats, names, logger, checkpoint: () => db.readModel.checkpoint('postgres') });
  const server = http.createServer((req, res) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    // Health, readiness, metrics and the cache's ops endpoints come before the API: never rate limited.
    if (handleOps(ops, req, res)) return;
    if (edge && handleCacheOps(edge, req, res)) return;
    if (opsPage?.(req, res)) return;
    if (api) {
      compressLargeAnswers(req, res, config.COMPRESSION_THRESHOLD_BYTES);
      api.handle(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: `query-service runs as ${role}: no API here` } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.QUERY_PORT, config.QUERY_HOST, resolve);
  });
  lifecycle.onStop('http server', () => closeServer(server));
  const { port } = server.address() as { port: number };
  const host = config.QUERY_HOST === '0.0.0.0' ? '127.0.0.1' : config.QUERY_HOST;
  logger.info({ url: `http://${host}:${port}`, role }, 'query service listening');
});
