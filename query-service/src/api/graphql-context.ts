import { AppError, ErrorCode } from '@cm/contracts';
import { bearerToken, type Principal, type TokenRules } from '@cm/platform';
import { acceptCorrelationId, parseMinSeq } from './arguments.js';
import { CheckpointTracker } from './checkpoint-tracker.js';
import type { CommandGateway } from './command-gateway.js';
import type { RulesClient } from './computed-fields.js';
import type { HistoryClient } from './history/history-client.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { ReadModel } from '../read-model/read-model.port.js';
import { redisFirstReadModel, type ReadModelMetrics } from '../redis-model/redis-first-read-model.js';
import type { RedisReadModel } from '../redis-model/redis-read-model.js';
import type { Cache } from '../cache/cache.port.js';
import { cachedLists, type ListCacheOptions } from '../cache/cached-lists.js';
import type { ComputedFieldsCacheOptions } from '../cache/computed-fields-cache.js';
import type { DependencyHealth, HealthStatus } from '../cache/cache-health.js';
import { VerifiedTokens } from './verified-tokens.js';

/** Long-lived collaborators every request shares. */
export interface ApiServices {
  readModel: ReadModel;
  commands: CommandGateway;
  /** Computed fields, from the rules service; absent in API-edge tests that never resolve them. */
  rules?: RulesClient;
  /** Entity history, time travel, event pages and traces; absent where an API is built without NATS (unit tests). */
  history?: HistoryClient;
  tracker: CheckpointTracker;
  /** The Redis read model and its checkpoint, when it is on: by-id reads and child lists are served from it first. */
  redisModel?: {
    model: RedisReadModel;
    tracker: CheckpointTracker;
    metrics: ReadModelMetrics;
    onError?: (err: unknown) => void;
  };
  jwtSecret: string;
  /** Clock skew allowed to `iat`/`nbf`, and whether `exp` is required; the lenient defaults when absent. */
  tokenRules?: TokenRules;
  /** Bound of every read-your-writes wait (`MIN_SEQ_TIMEOUT_MS`). */
  minSeqTimeoutMs: number;
  newId: () => string;
  /** The read side's cache (cacheStats); absent when the API runs without Redis. */
  cache?: Cache;
  /** Hot lists served from the cache (see cached-lists.ts); absent: every list from the read model. */
  listCache?: ListCacheOptions;
  /** Computed fields served from the cache before the rules service; absent: every one from the rules service. */
  computedFieldsCache?: ComputedFieldsCacheOptions;
  /** Every dependency's state (the `health` query). */
  health?: () => Promise<{ status: HealthStatus; dependencies: DependencyHealth[] }>;
}

/** What every resolver gets: who asks, the request's loaders and consistency wait. */
export interface GraphQLContext {
  principal: Principal;
  correlationId: string;
  loaders: Loaders;
  services: ApiServices;
  /**
   * Waits until the read model has applied the larger of the request's `x-min-seq` header and `minSeq`;
   * throws `STALE_READ` when it does not within the bound.
   */
  readAfter(minSeq?: number | null): Promise<void>;
  /** The highest `minSeq` (header or argument) this request has asked for so far: no answer may be older. */
  requiredSeq(): number;
}

/** What a context is built from: the request's headers, read like a fetch `Request`'s. */
export interface ContextRequest {
  headers: { get(name: string): string | null };
}

/** Builds the context of one request; the API has one, shared by yoga and the fast path. */
export type ContextFactory = (request: ContextRequest) => Promise<GraphQLContext>;

/**
 * The API's context factory, with one cache of verified tokens (see verified-tokens.ts for why) for every
 * request it serves, whichever path answers it.
 */
export function contextFactory(services: ApiServices): ContextFactory {
  const tokens = new VerifiedTokens(services.jwtSecret, Date.now, services.tokenRules);
  return (request) => buildContext(services, request, (token) => tokens.verify(token));
}

/**
 * Builds the context of one request. Authentication happens here, once, before any resolver runs: every
 * operation needs a valid bearer token, and a failure is a request error (`UNAUTHENTICATED`, HTTP 401).
 */
async function buildContext(
  services: ApiServices,
  request: ContextRequest,
  verify: (token: string) => Promise<Principal>,
): Promise<GraphQLContext> {
  const token = bearerToken(request.headers.get('authorization'));
  if (!token) throw new AppError(ErrorCode.UNAUTHENTICATED, 'an Authorization: Bearer <token> header is required');
  const principal = await verify(token);
  const headerMinSeq = parseMinSeq(request.headers.get('x-min-seq'), 'x-min-seq') ?? 0;
  const correlationId = acceptCorrelationId(request.headers.get('x-correlation-id'), services.newId);

  // One wait per distinct target: the root fields of a query share it instead of each polling alone.
  const waits = new Map<number, Promise<void>>();
  // The highest minSeq asked for so far: no read of this request answers from a model behind it.
  let floor = headerMinSeq;
  const redis = services.redisModel;
  const redisFirst = redis
    ? redisFirstReadModel({
        postgres: services.readModel,
        redis: redis.model,
        floor: () => floor,
        postgresAt: (seq) =>
          seq <= services.tracker.appliedSeq
            ? Promise.resolve()
            : services.tracker.waitFor(seq, services.minSeqTimeoutMs),
        metrics: redis.metrics,
        ...(redis.onError ? { onRedisError: redis.onError } : {}),
      })
    : services.readModel;
  const readModel = services.listCache ? cachedLists(redisFirst, services.listCache, () => floor) : redisFirst;
  return {
    principal,
    correlationId,
    loaders: createLoaders(readModel),
    services,
    requiredSeq: () => floor,
    readAfter(minSeq) {
      const target = Math.max(headerMinSeq, parseMinSeq(minSeq, 'minSeq') ?? 0);
      floor = Math.max(floor, target);
      if (target <= services.tracker.appliedSeq) return Promise.resolve();
      let wait = waits.get(target);
      if (!wait) {
        // A token the client was handed is always in the stream; one that is not was never issued. Either model
        // may satisfy the wait: each read checks its own model against the floor before it answers.
        const trackers = redis ? [services.tracker, redis.tracker] : [services.tracker];
        wait = CheckpointTracker.waitForAny(trackers, target, services.minSeqTimeoutMs, { verifyIssued: true });
        waits.set(target, wait);
      }
      return wait;
    },
  };
}
