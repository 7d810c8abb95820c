import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

/** Where the stack listens on a developer's machine and in CI: the defaults of every service and script. */
export const LOCAL_DEFAULTS = {
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/campaign_manager',
} as const;

/** Variables every service reads. Each service extends this with its own. */
export const baseConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty` for people at a terminal, `json` for log shippers; default: pretty in development. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls|wss?):\/\/[^\s]+$/, 'must be a nats:// URL (comma-separate several)')
    .default(LOCAL_DEFAULTS.NATS_URL),
  /** Prefix of every stream, subject, bucket and consumer name; tests give each system its own. */
  CM_NAMESPACE: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,15}$/, 'must be 1-16 lowercase letters or digits')
    .default('cm'),
  /** HS256 secret for bearer tokens. Required in production; a fixed development secret otherwise. */
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How far in the future a token's `iat` and `nbf` may be (issuers' clocks drift); tokens beyond are refused. */
  JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** How long a graceful shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
});

export const configHelpers = { bool, port };

export type BaseConfig = z.output<typeof baseConfigSchema> & { JWT_SECRET: string };

/** Used only outside production, so that `npm start` works with no setup. */
export const DEVELOPMENT_JWT_SECRET = 'campaign-manager-development-secret';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads configuration from the environment only, validated against `schema` (which should extend
 * `baseConfigSchema`). Throws a `ConfigError` that names every bad variable; `runService` prints it and exits.
 * Tools that sign and verify no tokens (`cm provision`) pass `{ jwtSecret: false }`: production does not make
 * them require `JWT_SECRET`.
 */
export function loadConfig<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
  opts: { jwtSecret?: boolean } = {},
): z.output<S> & BaseConfig {
  const merged = baseConfigSchema.extend(schema.shape);
  const result = merged.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map(
        (i) => `${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])] ?? null)})`,
      ),
    );
  }
  const config = result.data as z.output<S> & BaseConfig;
  if (!config.JWT_SECRET) {
    if (config.NODE_ENV === 'production' && opts.jwtSecret !== false)
      throw new ConfigError(['JWT_SECRET: required when NODE_ENV=production']);
    config.JWT_SECRET = DEVELOPMENT_JWT_SECRET;
  }
  return config;
}

export { z };
