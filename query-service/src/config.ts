import { configHelpers, loadConfig, LOCAL_DEFAULTS, z } from '@cm/platform';

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
  /** Events per projector batch (one transaction, one checkpoint). */
  PROJECTOR_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /**
   * While events are flowing (the last batch held more than one), how long the projector waits to fill a batch.
   * One transaction per handful of events cost ~2 ms of CPU per mutation at moderate load; batching them frees
   * that CPU for the command path. 0 takes only what has already arrived.
   */
  PROJECTOR_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /** How long a projector lease lives without renewal; a standby takes over after this. */
  PROJECTOR_LEASE_TTL_MS: z.coerce.number().int().min(1000).default(10_000),
  /** Longest a read with `minSeq` waits for the projection before answering STALE_READ. */
  MIN_SEQ_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Timeout of a command request to the command service. */
  COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Timeout of a computed-fields request to the rules service. */
  RULES_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Replicas of the event stream when this service is the first to create it (as in command-service). */
  EVENT_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Command-id de-duplication window of the event stream (as in command-service). */
  DUPLICATE_WINDOW_MS: z.coerce.number().int().min(1000).default(120_000),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(100).default(5_000),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(100).default(20_000),
});

export const loadQueryConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(queryConfigSchema, env);
export type QueryConfig = ReturnType<typeof loadQueryConfig>;
