import { configHelpers, LOCAL_DEFAULTS, loadConfig, z } from '@cm/platform';

const int = (min: number) => z.coerce.number().int().min(min);

export const realtimeConfigSchema = z.object({
  /** HTTP port of the gateway: /events, /graphql/stream, the live page, /health, /ready, /metrics. */
  REALTIME_PORT: configHelpers.port.default(4004),
  REALTIME_HOST: z.string().default('0.0.0.0'),
  /** Coalescing window per subscriber (latest state per entity); 0 turns coalescing off for everyone. */
  REALTIME_COALESCE_MS: int(0).default(50),
  /** Comment lines on idle streams, so proxies and browsers keep them open. */
  REALTIME_HEARTBEAT_MS: int(100).default(15_000),
  /** How soon EventSource reconnects (the SSE `retry:` field). */
  REALTIME_RETRY_MS: int(0).default(1_000),
  /** Bound of one subscriber's queue; past it the subscriber is cut off and resumes by sequence. */
  REALTIME_QUEUE_MAX_BYTES: int(1024).default(1_048_576),
  REALTIME_QUEUE_MAX_MESSAGES: int(1).default(5_000),
  REALTIME_MAX_CONNECTIONS: int(1).default(20_000),
  REALTIME_MAX_CONNECTIONS_PER_USER: int(1).default(100),
  /** Origins allowed to open streams from a browser page elsewhere (comma-separated, or `*`); none by default. */
  REALTIME_CORS_ORIGINS: z.string().default(''),
  /** Serve the live page at `/` and mint demo tokens at `/dev/token`; never in production. */
  REALTIME_LIVE_PAGE: configHelpers.bool.optional(),
  /** `/ready` fails while the live consumer is more than this many seconds behind the stream (0: never for lag). */
  REALTIME_READY_MAX_LAG_SECONDS: z.coerce.number().min(0).default(0),
  /** The read model (campaign members are read from it at start). */
  DATABASE_URL: z.string().default(LOCAL_DEFAULTS.DATABASE_URL),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .default('public'),
});

export const loadRealtimeConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = loadConfig(realtimeConfigSchema, env);
  return { ...config, REALTIME_LIVE_PAGE: config.NODE_ENV !== 'production' && (config.REALTIME_LIVE_PAGE ?? true) };
};
export type RealtimeConfig = ReturnType<typeof loadRealtimeConfig>;
