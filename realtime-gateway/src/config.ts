import { readFileSync } from 'node:fs';
import { ConfigError, configHelpers, LOCAL_DEFAULTS, loadConfig, z } from '@cm/platform';

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
  /** PEM files: with both set the gateway speaks TLS, HTTP/2 with HTTP/1.1 fallback (ALPN) on the one port. */
  REALTIME_TLS_CERT: z.string().optional(),
  REALTIME_TLS_KEY: z.string().optional(),
  /**
   * `auto`: HTTP/2 when TLS is configured, else HTTP/1.1. `h2c`: cleartext HTTP/2 by prior knowledge (for a proxy
   * in front) beside HTTP/1.1 on the same port. `off`: HTTP/1.1 only, over TLS if configured.
   */
  REALTIME_HTTP2: z.enum(['auto', 'h2c', 'off']).default('auto'),
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

/** How the gateway's one port speaks. */
export type Listener = { kind: 'http1' } | { kind: 'h2c' } | { kind: 'tls'; http2: boolean; cert: Buffer; key: Buffer };

function listenerOf(config: z.output<typeof realtimeConfigSchema>): Listener {
  const { REALTIME_TLS_CERT: certFile, REALTIME_TLS_KEY: keyFile, REALTIME_HTTP2: http2 } = config;
  if (!certFile !== !keyFile) throw new ConfigError(['REALTIME_TLS_CERT and REALTIME_TLS_KEY: set both or neither']);
  if (!certFile || !keyFile) return { kind: http2 === 'h2c' ? 'h2c' : 'http1' };
  if (http2 === 'h2c') throw new ConfigError(['REALTIME_HTTP2: h2c is cleartext; with TLS configured use auto or off']);
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new ConfigError([`${name}: cannot read ${file} (${(e as Error).message})`]);
    }
  };
  return {
    kind: 'tls',
    http2: http2 === 'auto',
    cert: read('REALTIME_TLS_CERT', certFile),
    key: read('REALTIME_TLS_KEY', keyFile),
  };
}

export const loadRealtimeConfig = (env: NodeJS.ProcessEnv = process.env) => {
  const config = loadConfig(realtimeConfigSchema, env);
  return {
    ...config,
    REALTIME_LIVE_PAGE: config.NODE_ENV !== 'production' && (config.REALTIME_LIVE_PAGE ?? true),
    listener: listenerOf(config),
  };
};
export type RealtimeConfig = ReturnType<typeof loadRealtimeConfig>;
