import { configHelpers, loadConfig, LOCAL_DEFAULTS, natsResourcesConfigSchema, z } from '@cm/platform';

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const rulesConfigSchema = z.object({
  /** Port of /health, /ready and /metrics. */
  RULES_OPS_PORT: configHelpers.port.default(4002),
  /** Read model the service loads its facts and conditions from at start (read-only). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .default(LOCAL_DEFAULTS.DATABASE_URL),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier')
    .default('public'),
  /** Most results the per-instance cache holds; past it results are computed but not kept. */
  RULES_CACHE_MAX_KEYS: count(1, 10_000_000).default(10_000),
  /** Seconds a cached result lives (invalidation by event drops it sooner). */
  RULES_CACHE_TTL: count(1, 86_400).default(300),
  /** Seconds between node-cache's sweeps of expired results. */
  RULES_CACHE_CHECK_PERIOD: count(0, 86_400).default(60),
  /** Operations one evaluation of one field may spend before it is cut off with RULE_LIMIT. */
  RULES_MAX_OPERATIONS: count(100, 100_000_000).default(100_000),
  /** Elements of any array an evaluation reads or builds before it is cut off with RULE_LIMIT. */
  RULES_MAX_ARRAY: count(10, 10_000_000).default(10_000),
  /** Longest a request with `minSeq` waits for this instance's consumer before answering STALE_READ. */
  RULES_MIN_SEQ_TIMEOUT_MS: count(0, 60_000).default(5_000),
  /** `/ready` fails while this instance's event follower is more than this many seconds behind (0: never for lag). */
  RULES_READY_MAX_LAG_SECONDS: z.coerce.number().min(0).default(0),
  /** The settings of the NATS resources it verifies at start (the event stream's replicas and duplicate window). */
  ...natsResourcesConfigSchema.shape,
});

export const loadRulesConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(rulesConfigSchema, env);
export type RulesConfig = ReturnType<typeof loadRulesConfig>;
