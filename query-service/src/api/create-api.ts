import type http from 'node:http';
import { DEMO_USER, type NatsNames } from '@cm/contracts';
import { newId, signToken, tokenRulesOf, type Nats, type ReadinessCheck } from '@cm/platform';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { QueryConfig } from '../config.js';
import type { ReadModel } from '../read-model/read-model.port.js';
import type { Cache } from '../cache/cache.port.js';
import type { RateLimits } from './rate-limit.js';
import { countReadModelCalls } from '../read-model/counted-read-model.js';
import { ApiMetrics } from './api.metrics.js';
import { CheckpointTracker } from './checkpoint-tracker.js';
import { CommandGateway } from './command-gateway.js';
import { RulesClient } from './computed-fields.js';
import { GraphqlFastPath } from './fast-path.js';
import { HistoryClient } from './history/history-client.js';
import { contextFactory, type ApiServices } from './graphql-context.js';
import { buildSchema } from './schema.js';
import { ReadModelMetrics } from '../redis-model/redis-first-read-model.js';
import { REDIS_PROJECTION } from '../redis-model/redis-keys.js';
import type { RedisReadModel } from '../redis-model/redis-read-model.js';
import { requestSteps } from './request-steps.js';
import { createYogaServer, type YogaServer } from './yoga-server.js';

/** What the GraphQL API needs; `main.ts` builds it. */
export interface ApiDeps {
  config: QueryConfig;
  logger: Logger;
  nats: Nats;
  names: NatsNames;
  readModel: ReadModel;
  registry: Registry;
  /** The Redis read model (REDIS_READ_MODEL=on): by-id reads and child lists are served from it first. */
  redisModel?: RedisReadModel;
  /** The read side's cache: hot lists, cacheStats. Without it every list comes from the read model. */
  cache?: Cache;
  /** Request budgets; without them nothing is rate limited. */
  rateLimits?: RateLimits;
  /** Every dependency's state, for the `health` query. */
  health?: ApiServices['health'];
}

/** The GraphQL API as a request handler: `main.ts` puts the ops endpoints in front of it on one port. */
export interface Api {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Readiness checks the API adds (for example the checkpoint subscription). */
  checks: ReadinessCheck[];
  /** Resolves once the read model has applied `seq`, or rejects with STALE_READ after `MIN_SEQ_TIMEOUT_MS`. */
  readModelAt(seq: number): Promise<void>;
  close(): Promise<void>;
}

/** `/graphql` over Node's HTTP server: the fast path takes what it can, yoga the rest. */
export function graphqlHandler(
  fastPath: GraphqlFastPath,
  yoga: YogaServer,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    if (fastPath.handle(req, res, yoga)) return;
    // yoga's node listener writes the response itself and never rejects.
    void yoga.requestListener(req, res);
  };
}

/** The projection reads come from; its checkpoints decide read-your-writes waits. */
export const READ_PROJECTION = 'postgres';

/**
 * The public GraphQL endpoint (`/graphql`): authenticated reads from the read model through per-request
 * DataLoaders, mutations forwarded to the command service and answered once the projection has applied
 * them, depth/alias/token/cost limits, and a contract `ErrorCode` on every error.
 */
export async function createApi(deps: ApiDeps): Promise<Api> {
  const { config, nats, names, readModel, registry } = deps;
  const logger = deps.logger.child({ component: 'graphql' });
  const metrics = new ApiMetrics(registry);

  const streamHead = async () => (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
  const tracker = new CheckpointTracker({
    nc: nats.nc,
    subject: names.checkpointSubject(READ_PROJECTION),
    projection: READ_PROJECTION,
    readCheckpoint: () => readModel.checkpoint(READ_PROJECTION),
    streamHead,
    logger,
  });
  await tracker.start();
  let redisModel: ApiServices['redisModel'];
  if (deps.redisModel) {
    const model = deps.redisModel;
    const redisTracker = new CheckpointTracker({
      nc: nats.nc,
      subject: names.checkpointSubject(REDIS_PROJECTION),
      projection: REDIS_PROJECTION,
      // A generation still being built counts as 0: reads fall back to Postgres until it is complete.
      readCheckpoint: () => model.servingCheckpoint(),
      streamHead,
      logger,
    });
    await redisTracker.start();
    redisModel = {
      model,
      tracker: redisTracker,
      metrics: ReadModelMetrics.of(registry),
      onError: (err) => logger.debug({ err }, 'redis read model unavailable; reading postgres'),
    };
  }

  const commands = new CommandGateway({
    nc: nats.nc,
    link: nats.link,
    names,
    timeoutMs: config.COMMAND_TIMEOUT_MS,
    logger,
    onReply: (type, code) => metrics.commandForwarded(type, code),
  });
  const services: ApiServices = {
    // Requests' reads are counted; the tracker's checkpoint polls above are not requests.
    readModel: countReadModelCalls(readModel, (method) => metrics.readModelCall(method)),
    tracker,
    ...(redisModel ? { redisModel } : {}),
    commands,
    rules: new RulesClient({ nc: nats.nc, names, timeoutMs: config.RULES_TIMEOUT_MS }),
    history: new HistoryClient(nats, names, config.COMMAND_TIMEOUT_MS),
    jwtSecret: config.JWT_SECRET,
    tokenRules: tokenRulesOf(config),
    minSeqTimeoutMs: config.MIN_SEQ_TIMEOUT_MS,
    newId,
    ...(deps.cache
      ? {
          cache: deps.cache,
          listCache: {
            cache: deps.cache,
            ttls: {
              settlements: config.CACHE_SETTLEMENT_TTL,
              structures: config.CACHE_STRUCTURE_TTL,
              spatial: config.CACHE_SPATIAL_TTL,
            },
            // What a list read reflects at least: it is answered by Redis (at or past the floor) or Postgres,
            // so the lower of the two checkpoints before the read; Postgres's alone could overstate a Redis answer.
            appliedSeq: () =>
              redisModel ? Math.min(tracker.appliedSeq, redisModel.tracker.appliedSeq) : tracker.appliedSeq,
          },
          computedFieldsCache: { cache: deps.cache, ttlSeconds: config.CACHE_COMPUTED_FIELDS_TTL },
        }
      : {}),
    ...(deps.health ? { health: deps.health } : {}),
  };

  const schema = buildSchema();
  const context = contextFactory(services);
  const limits = {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxCost: config.GRAPHQL_MAX_COST,
    maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES,
    maxVariablesBytes: config.GRAPHQL_MAX_VARIABLES_BYTES,
    maxVariablesDepth: config.GRAPHQL_MAX_VARIABLES_DEPTH,
  };
  // One list of request steps for both paths: the fast path runs their fast-path side and hands yoga the same
  // list (with its approval step), whose plugins yoga runs.
  const steps = requestSteps({
    limits,
    metrics,
    rateLimits: deps.rateLimits,
    slowQueries: { logger, thresholdMs: config.SLOW_QUERY_MS },
  });
  const fastPath = new GraphqlFastPath({
    schema,
    metrics,
    context,
    steps,
    onUnexpectedError: (err) => logger.error({ err }, 'graphql: unexpected error'),
  });
  const yoga = createYogaServer({
    services,
    metrics,
    logger,
    schema,
    context,
    steps: fastPath.yogaSteps(),
    graphiql: config.NODE_ENV !== 'production',
    // A person at `npm start` gets a page signed in as the demo game master; never outside development.
    ...(config.NODE_ENV === 'development'
      ? { graphiqlToken: () => signToken(config.JWT_SECRET, DEMO_USER, '12h') }
      : {}),
    limits,
  });

  return {
    handle: graphqlHandler(fastPath, yoga),
    checks: [tracker.readiness],
    readModelAt: (seq) => tracker.waitFor(seq, config.MIN_SEQ_TIMEOUT_MS),
    close: async () => {
      commands.close();
      await tracker.stop();
      await redisModel?.tracker.stop();
      await yoga.dispose();
    },
  };
}
