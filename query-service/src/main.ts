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
import { loadQueryConfig } from './config.js';
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
  const modelRedis = config.REDIS_READ_MODEL === 'on' ? connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB) : undefined;
  if (modelRedis) {
    lifecycle.onStop('redis', () => modelRedis.quit());
    // Not a start-up condition: without Redis the API reads Postgres and the projector retries until it is back.
    if (!(await modelRedis.ready(5000))) logger.warn({ url: config.REDIS_URL }, 'Redis read model unreachable; reading Postgres until it is back');
  }
  const prefix = redisModelPrefix(names.prefix);

  let api: Api | undefined;
  if (role === 'api' || role === 'all') {
    const redisModel = modelRedis ? new RedisReadModel(modelRedis, prefix) : undefined;
    const created = await createApi({ config, logger, nats, names, readModel: db.readModel, registry, ...(redisModel ? { redisModel } : {}) });
    api = created;
    lifecycle.onStop('api', () => created.close());
    checks.push(...created.checks);
  }
  if (role === 'projector' || role === 'all') {
    // A pool of its own, where every statement runs under PROJECTION_STATEMENT_TIMEOUT_MS; API reads and
    // migrations (which may rightly take longer) use the other.
    const projectionDb = await openDatabase(config, logger, { statementTimeoutMs: config.PROJECTION_STATEMENT_TIMEOUT_MS });
    lifecycle.onStop('projection database', () => projectionDb.close());
    const projector = await startProjector({ config, logger, nats, names, db: projectionDb, registry });
    lifecycle.onStop('projector', () => projector.stop());
    checks.push(...projector.checks);
    if (modelRedis) {
      const redisProjector = await startRedisProjector({ config, logger, nats, names, registry, redis: modelRedis, prefix });
      lifecycle.onStop('redis projector', () => redisProjector.stop());
      checks.push(...redisProjector.checks);
    }
  }

  const ops = { service: 'query-service', registry, checks, accepting: () => lifecycle.accepting };
  // The ops page (/ops, fed by SSE on /ops/lag) outside production: operators' lag view without Grafana.
  const opsPage = config.NODE_ENV === 'production' ? undefined : opsPageHandler({ nats, names, logger, checkpoint: () => db.readModel.checkpoint('postgres') });
  const server = http.createServer((req, res) => {
    if (handleOps(ops, req, res)) return;
    if (opsPage?.(req, res)) return;
    if (api) {
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
