import { jetStreamHistory, type EventHistory } from '../projector/event-history.js';
import { startProjection, type Projector, type RunnerDeps } from '../projector/postgres-projector.js';
import type { ModelRedis } from './redis-client.js';
import { RedisProjectionWriter } from './redis-writer.js';

export interface RedisProjectorDeps extends RunnerDeps {
  redis: ModelRedis;
  /** Base key prefix of the model (`<namespace>:rm:`), whose pointer names the live generation. */
  prefix: string;
  /** Where forks re-read history; the event stream by default. */
  history?: EventHistory;
}

/**
 * Runs the Redis projection (issue 10 item 1) like the Postgres one: its own durable consumer, lease and
 * checkpoint (kept in Redis, moved by the batch's script), announced on `cm.chk.redis`. If Redis loses the model
 * (flushed, restarted empty) the generation marker is gone: the runner notices, starts a new generation at 0 and
 * rebuilds from the start of the stream while the API reads Postgres.
 */
export function startRedisProjector(deps: RedisProjectorDeps): Promise<Projector> {
  const { nats, names } = deps;
  const streamHead = async () => (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
  const writer = new RedisProjectionWriter(
    deps.redis,
    { live: deps.prefix },
    deps.history ?? jetStreamHistory(nats, names),
    streamHead,
  );
  return startProjection(deps, writer, 'redis-projector');
}

/** The model's key prefix for a namespace: test runs and systems side by side on one Redis never share keys. */
export const redisModelPrefix = (namespace: string): string => `${namespace}:rm:`;
