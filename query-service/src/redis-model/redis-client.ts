import { Redis } from 'ioredis';
import { ENSURE_GENERATION, GENERATION, READ, REPLAY_ROWS, SWAP, WRITE_BATCH } from './redis-scripts.js';

type Reply = string | number | null | Reply[];

/** The read model's Redis connection with its scripts defined (EVALSHA, EVAL once after a restart). */
export interface ModelRedis {
  readonly redis: Redis;
  /** The generation under `base`'s pointer (base '' : under `fixed`), started if missing: prefix, gen, seq, state. */
  ensureGeneration(base: string, fixed: string, gen: string, target: number): Promise<[string, string, string, string]>;
  /** The live generation under `base`'s pointer: prefix, gen ('' if none), seq, state. */
  generation(base: string): Promise<[string, string, string, string]>;
  /** Points `base`'s live generation at `shadow` (see SWAP). */
  swap(base: string, shadow: string, at: string): Promise<string[]>;
  writeBatch(args: (string | number)[]): Promise<[string, string]>;
  /** `cm replay --into redis`: rows only, guard `<=`, checkpoint untouched (redis-scripts.ts REPLAY_ROWS). */
  replayRows(args: (string | number)[]): Promise<[string, string]>;
  read(args: (string | number)[]): Promise<Reply[]>;
  /**
   * Resolves true once connected, false after `timeoutMs` without a connection: commands fail at once until then
   * (no offline queue), so start-up waits a little rather than report a failure Redis never had.
   */
  ready(timeoutMs: number): Promise<boolean>;
  quit(): Promise<void>;
}

/**
 * Connects to the logical database `db` of `url`. Commands fail at once while Redis is unreachable (no offline
 * queue, one retry): the API then reads Postgres, and the projector reports the failure and retries its batch.
 */
export function connectModelRedis(url: string, db: number): ModelRedis {
  const redis = new Redis(url, {
    db,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'cm-read-model',
  });
  // Errors surface on the commands that fail; an unhandled 'error' event would only repeat them in the log.
  redis.on('error', () => undefined);
  redis.defineCommand('cmEnsureGeneration', { numberOfKeys: 0, lua: ENSURE_GENERATION });
  redis.defineCommand('cmWriteBatch', { numberOfKeys: 0, lua: WRITE_BATCH });
  redis.defineCommand('cmRead', { numberOfKeys: 0, lua: READ });
  redis.defineCommand('cmReplayRows', { numberOfKeys: 0, lua: REPLAY_ROWS });
  redis.defineCommand('cmGeneration', { numberOfKeys: 0, lua: GENERATION });
  redis.defineCommand('cmSwap', { numberOfKeys: 0, lua: SWAP });
  const scripts = redis as unknown as Record<
    'cmEnsureGeneration' | 'cmWriteBatch' | 'cmRead' | 'cmReplayRows' | 'cmGeneration' | 'cmSwap',
    (...args: (string | number)[]) => Promise<unknown>
  >;
  return {
    redis,
    ensureGeneration: (base, fixed, gen, target) =>
      scripts.cmEnsureGeneration(base, fixed, gen, target) as Promise<[string, string, string, string]>,
    generation: (base) => scripts.cmGeneration(base) as Promise<[string, string, string, string]>,
    swap: (base, shadow, at) => scripts.cmSwap(base, shadow, at) as Promise<string[]>,
    writeBatch: (args) => scripts.cmWriteBatch(...args) as Promise<[string, string]>,
    replayRows: (args) => scripts.cmReplayRows(...args) as Promise<[string, string]>,
    read: (args) => scripts.cmRead(...args) as Promise<Reply[]>,
    ready: (timeoutMs) =>
      redis.status === 'ready'
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => {
              redis.off('ready', onReady);
              resolve(false);
            }, timeoutMs);
            const onReady = () => {
              clearTimeout(timer);
              resolve(true);
            };
            redis.once('ready', onReady);
          }),
    quit: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
