import { configHelpers, loadConfig, LOCAL_DEFAULTS, natsResourcesConfigSchema, z } from '@cm/platform';
import { DEFAULT_MAX_BODY_BYTES } from './api/plugins/body-limit.plugin.js';
import { DEFAULT_VARIABLES_LIMITS } from './api/plugins/variables-limit.plugin.js';

const { port } = configHelpers;

export const queryConfigSchema = z.object({
  /** `api` serves GraphQL, `projector` runs the projections, `all` both (the default for local use). */
  QUERY_ROLE: z.enum(['api', 'projector', 'all']).default('all'),
  QUERY_PORT: port.default(4000),
  QUERY_HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').default(LOCAL_DEFAULTS.DATABASE_URL),
  /** Postgres schema of the read model; tests give each run its own. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').default('public'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL').default('redis://127.0.0.1:6379'),
  REDIS_CACHE_DB: z.coerce.number().int().min(0).max(15).default(1),
  /**
   * `on`: project the read model into Redis too (its own consumer, lease and checkpoint) and serve by-id reads and
   * child lists from it, Postgres second. `off`: Postgres only.
   */
  REDIS_READ_MODEL: z.enum(['on', 'off']).default('on'),
  /** Logical database of the Redis read model (keys under `<CM_NAMESPACE>:rm:`); the cache has its own. */
  REDIS_MODEL_DB: z.coerce.number().int().min(0).max(15).default(0),
  /** Events per projector batch (one transaction, one checkpoint). */
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * While events are flowing (the last batch held more than one), how long the projector waits to fill a batch.
   * One transaction per handful of events costs far more CPU per mutation than one per batch (docs/perf.md);
   * batching them frees that CPU for the command path. 0 takes only what has already arrived.
   */
  PROJECTOR_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /**
   * Statement timeout of every projection statement (Postgres cancels it; the projector also stops waiting for an
   * answer shortly after, in case the connection itself hangs). Must exceed the slowest healthy batch (a fork of a
   * large branch copies its rows in one statement).
   */
  PROJECTION_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** Attempts of one commit a projection cannot apply before it is parked (a poison event, `cm parked`). */
  PROJECTOR_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** Wait before the second attempt of a failing commit; doubled for each further one. */
  PROJECTOR_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).max(60_000).default(200),
  /** `/ready` fails while the projection is more than this many seconds behind the stream (0: never for lag). */
  PROJECTOR_READY_MAX_LAG_SECONDS: z.coerce.number().min(0).default(0),
  /** Longest a read with `minSeq` waits for the projection before answering STALE_READ. */
  MIN_SEQ_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Timeout of a command request to the command service. */
  COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Timeout of a computed-fields request to the rules service. */
  RULES_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(5_000),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(100).default(20_000),
  /** Largest request body; a larger one is answered 413 `PAYLOAD_TOO_LARGE` before the rest is read. */
  GRAPHQL_MAX_BODY_BYTES: z.coerce.number().int().min(1_000).default(DEFAULT_MAX_BODY_BYTES),
  /** Largest `variables` of a request, as JSON (413 `PAYLOAD_TOO_LARGE`). */
  GRAPHQL_MAX_VARIABLES_BYTES: z.coerce.number().int().min(100).default(DEFAULT_VARIABLES_LIMITS.maxVariablesBytes),
  /** Deepest nesting of objects and arrays in `variables` (`VALIDATION`). */
  GRAPHQL_MAX_VARIABLES_DEPTH: z.coerce.number().int().min(1).max(100).default(DEFAULT_VARIABLES_LIMITS.maxVariablesDepth),
  /** The settings of the NATS resources it verifies at start: the event stream's, and the lease TTL (bucket max_age). */
  ...natsResourcesConfigSchema.shape,
});

export const loadQueryConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(queryConfigSchema, env);
export type QueryConfig = ReturnType<typeof loadQueryConfig>;
