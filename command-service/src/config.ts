import { configHelpers, loadConfig, natsResourcesConfigSchema, z } from '@cm/platform';

export const commandConfigSchema = z.object({
  /** Port of /health, /ready and /metrics. */
  COMMAND_OPS_PORT: configHelpers.port.default(4001),
  /** Aggregates kept folded in memory (LRU); a miss reads the aggregate's subject again. */
  AGGREGATE_CACHE_SIZE: z.coerce.number().int().min(0).default(50_000),
  /** Attempts at a command whose expected sequence lost a race before answering CONFLICT. */
  CONFLICT_RETRIES: z.coerce.number().int().min(1).max(50).default(5),
  /** The settings of the NATS resources it verifies at start (the event stream's replicas and duplicate window). */
  ...natsResourcesConfigSchema.shape,
  /** Run the saga consumer (settlement cascade, world-event effects) in this instance. */
  SAGAS_ENABLED: configHelpers.bool.default(true),
});

export const loadCommandConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(commandConfigSchema, env);
export type CommandConfig = ReturnType<typeof loadCommandConfig>;
