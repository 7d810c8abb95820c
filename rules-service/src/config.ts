import { configHelpers, loadConfig, z } from '@cm/platform';

export const rulesConfigSchema = z.object({
  /** Port of /health, /ready and /metrics. */
  RULES_OPS_PORT: configHelpers.port.default(4002),
});

export const loadRulesConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(rulesConfigSchema, env);
export type RulesConfig = ReturnType<typeof loadRulesConfig>;
