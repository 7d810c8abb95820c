import { configHelpers, loadConfig, LOCAL_DEFAULTS, natsResourcesConfigSchema, z } from '@cm/platform';
import { DEFAULT_MAX_BODY_BYTES } from './api/plugins/body-limit.plugin.js';
import { DEFAULT_VARIABLES_LIMITS } from './api/plugins/variables-limit.plugin.js';
import { parseProxyTrust } from './api/client-address.js';
import { RATE_TIERS, type RateLimitSettings } from './api/rate-limit.js';

const { bool, port } = configHelpers;

/**
 * A paginated list (a branch's kingdoms, a kingdom's settlements, ...) is answered from the Redis model only while it
 * holds at most this many members (`REDIS_LIST_MAX_MEMBERS`). Redis reads such a list whole and the API pages it, so
 * a first page costs the whole list: 200 is four default pages (50); a longer list reads Postgres's index, which
 * stops at the page. (Even at 100 members, the nested bench's pages were no faster from Redis: docs/perf.md.)
 */
export const LIST_MAX_MEMBERS_DEFAULT = 200;

export const queryConfigSchema = z.object({
  /** `api` serves GraphQL, `projector` runs the projections, `all` both (the default for local use). */
  QUERY_ROLE: z.enum(['api', 'projector', 'all']).default('all'),
  QUERY_PORT: port.default(4000),
  QUERY_HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default(LOCAL_DEFAULTS.DATABASE_URL),
  /** Postgres schema of the read model; tests give each run its own. */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier')
    .default('public'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_CACHE_DB: z.coerce.number().int().min(0).max(15).default(1),
  /**
   * `on`: project the read model into Redis too (its own consumer, lease and checkpoint) and serve by-id reads and
   * child lists from it, Postgres second. `off`: Postgres only.
   */
  REDIS_READ_MODEL: z.enum(['on', 'off']).default('on'),
  /** Logical database of the Redis read model (keys under `<CM_NAMESPACE>:rm:`); the cache has its own. */
  REDIS_MODEL_DB: z.coerce.number().int().min(0).max(15).default(0),
  /** See `LIST_MAX_MEMBERS_DEFAULT`. 0: every page from Postgres. */
  REDIS_LIST_MAX_MEMBERS: z.coerce.number().int().min(0).max(100_000).default(LIST_MAX_MEMBERS_DEFAULT),
  /**
   * Which projections a `projector` or `all` process runs, comma-separated: both by default. `redis` alone gives
   * the Redis projection a process (and an event loop) of its own beside a `postgres` one; each keeps its own
   * consumer, lease and checkpoint either way.
   */
  QUERY_PROJECTIONS: z
    .string()
    .default('postgres,redis')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(['postgres', 'redis'])).min(1)),
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
  GRAPHQL_MAX_VARIABLES_DEPTH: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(DEFAULT_VARIABLES_LIMITS.maxVariablesDepth),
  /** Cache TTLs in seconds (the seeds' figures): any entry without a family of its own, computed fields, lists, spatial results. */
  CACHE_DEFAULT_TTL: z.coerce.number().int().min(1).default(300),
  CACHE_COMPUTED_FIELDS_TTL: z.coerce.number().int().min(1).default(300),
  CACHE_SETTLEMENT_TTL: z.coerce.number().int().min(1).default(600),
  CACHE_STRUCTURE_TTL: z.coerce.number().int().min(1).default(600),
  CACHE_SPATIAL_TTL: z.coerce.number().int().min(1).default(300),
  /** Prepended to every cache and rate-limit key: deployments (and tests) sharing one Redis database stay apart. */
  CACHE_KEY_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_:-]{0,64}$/, 'must be letters, digits, _ - :')
    .default(''),
  /** Count hits, misses, sets and deletes (cacheStats, /health/cache, Prometheus). */
  CACHE_METRICS_ENABLED: bool.default(true),
  /** Log every hit, miss and invalidation at start; switched at run time with POST /ops/cache-logging. */
  CACHE_LOGGING_ENABLED: bool.default(false),
  /** Campaigns whose hot lists (settlements per kingdom, structures per settlement of main) are loaded at start, comma-separated. */
  CACHE_WARM_CAMPAIGNS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
    ),
  /**
   * Request budgets per window (`RATE_LIMIT_TTL` seconds), in the seeds' tiers. On unless set, except under
   * NODE_ENV=test: test processes drive one user far past any budget (load, outages); tests of the limits turn it on.
   */
  RATE_LIMIT_ENABLED: bool.optional(),
  RATE_LIMIT_TTL: z.coerce.number().int().min(1).max(3600).default(60),
  RATE_LIMIT_STRICT_MAX: z.coerce.number().int().min(1).default(10),
  RATE_LIMIT_STANDARD_MAX: z.coerce.number().int().min(1).default(100),
  RATE_LIMIT_RELAXED_MAX: z.coerce.number().int().min(1).default(500),
  /** Which tier each budget takes: a user's queries, a user's mutations, requests without a token (per address). */
  RATE_LIMIT_QUERY_TIER: z.enum(RATE_TIERS).default('relaxed'),
  RATE_LIMIT_MUTATION_TIER: z.enum(RATE_TIERS).default('standard'),
  RATE_LIMIT_ANONYMOUS_TIER: z.enum(RATE_TIERS).default('strict'),
  /**
   * Peers whose `X-Forwarded-For` names the client for the per-address budget: empty (nobody: the TCP peer is the
   * client), a number of proxy hops, or a comma list of addresses, CIDRs, `loopback`, `linklocal`, `uniquelocal`.
   */
  TRUST_PROXY: z
    .string()
    .default('')
    .superRefine((value, ctx) => {
      try {
        parseProxyTrust(value);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
  /** A GraphQL request slower than this is logged at warn (0: never). */
  SLOW_QUERY_MS: z.coerce.number().int().min(0).default(1000),
  /** GraphQL answers larger than this are compressed (gzip or brotli, as the client accepts). */
  COMPRESSION_THRESHOLD_BYTES: z.coerce.number().int().min(0).default(1024),
  /** The settings of the NATS resources it verifies at start: the event stream's, and the lease TTL (bucket max_age). */
  ...natsResourcesConfigSchema.shape,
});

export const loadQueryConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(queryConfigSchema, env);
export type QueryConfig = ReturnType<typeof loadQueryConfig>;

/** The rate limiter's settings from `RATE_LIMIT_*`. */
export function rateLimitSettings(config: QueryConfig): RateLimitSettings {
  return {
    windowSeconds: config.RATE_LIMIT_TTL,
    tiers: {
      strict: config.RATE_LIMIT_STRICT_MAX,
      standard: config.RATE_LIMIT_STANDARD_MAX,
      relaxed: config.RATE_LIMIT_RELAXED_MAX,
    },
    budgets: {
      query: config.RATE_LIMIT_QUERY_TIER,
      mutation: config.RATE_LIMIT_MUTATION_TIER,
      anonymous: config.RATE_LIMIT_ANONYMOUS_TIER,
    },
    trustProxy: parseProxyTrust(config.TRUST_PROXY),
  };
}

/**
 * Whether requests are rate limited: `RATE_LIMIT_ENABLED`, by default on in production only: in development one
 * person seeds and scripts against their own stack (`cm seed --size` sends thousands of mutations a minute).
 */
export function rateLimited(config: QueryConfig): boolean {
  return config.RATE_LIMIT_ENABLED ?? config.NODE_ENV === 'production';
}
