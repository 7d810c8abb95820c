import { configHelpers, loadConfig, z } from '@cm/platform';

export const schedulerConfigSchema = z.object({
  /** Port of /health, /ready and /metrics. */
  SCHEDULER_OPS_PORT: configHelpers.port.default(4003),
});

export const loadSchedulerConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(schedulerConfigSchema, env);
export type SchedulerConfig = ReturnType<typeof loadSchedulerConfig>;
