import { CRON_JOBS, type CronJobName } from '@cm/contracts';
import { configHelpers, LOCAL_DEFAULTS, loadConfig, natsResourcesConfigSchema, z } from '@cm/platform';
import { schedule } from './cron/windows.js';

const cron = (name: CronJobName) =>
  z
    .string()
    .default(CRON_JOBS[name].default)
    .refine((expr) => {
      try {
        schedule(expr);
        return true;
      } catch {
        return false;
      }
    }, 'must be a cron expression of 5 fields, or 6 with seconds first');

const ms = (def: number, min = 1) => z.coerce.number().int().min(min).default(def);

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** `90s`, `15m`, `6h`, `2d`, or plain milliseconds. */
const duration = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v, ctx) => {
      const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
      if (!m) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 90s, 15m, 6h, 2d or plain milliseconds' });
        return z.NEVER;
      }
      return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
    });

export const schedulerConfigSchema = z.object({
  /** The settings of the NATS resources it verifies at start (the job stream's, its consumer's ack wait). */
  ...natsResourcesConfigSchema.shape,
  /** Port of /health, /ready and /metrics. */
  SCHEDULER_OPS_PORT: configHelpers.port.default(4003),
  CRON_EVENT_EXPIRATION: cron('event-expiration'),
  CRON_SETTLEMENT_GROWTH: cron('settlement-growth'),
  CRON_STRUCTURE_MAINTENANCE: cron('structure-maintenance'),
  /** Missed windows older than this are reported, not run. */
  SCHEDULER_CATCHUP_HORIZON: duration('24h'),
  /** TTL of a cron tick's Redis lock; renewed every third of it while the tick lasts. */
  SCHEDULER_LOCK_TTL_MS: ms(30_000, 100),
  /** Jobs one replica runs at a time. */
  SCHEDULER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** Commands one job keeps in flight. */
  SCHEDULER_COMMAND_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(64),
  /** Entities per growth or maintenance job. */
  SCHEDULER_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(500),
  /** Attempts of a job before it is parked on the dead-letter subject. */
  SCHEDULER_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  /** First redelivery delay after a failed attempt; doubles per attempt, at most 60 s. */
  SCHEDULER_JOB_BACKOFF_MS: ms(1000),
  COMMAND_TIMEOUT_MS: ms(10_000, 100),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  DATABASE_URL: z.string().default(LOCAL_DEFAULTS.DATABASE_URL),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase Postgres identifier')
    .default('public'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(4),
});

export const loadSchedulerConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(schedulerConfigSchema, env);
export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;

/** The cron expression of each job, as configured. */
export function cronExpressions(config: SchedulerConfig): Record<CronJobName, string> {
  return {
    'event-expiration': config.CRON_EVENT_EXPIRATION,
    'settlement-growth': config.CRON_SETTLEMENT_GROWTH,
    'structure-maintenance': config.CRON_STRUCTURE_MAINTENANCE,
  };
}
