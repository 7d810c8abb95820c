import { configHelpers, loadConfig, z } from '@cm/platform';

export const realtimeConfigSchema = z.object({
  /** HTTP port of the gateway: its SSE endpoints (to come) and /health, /ready, /metrics. */
  REALTIME_PORT: configHelpers.port.default(4004),
});

export const loadRealtimeConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(realtimeConfigSchema, env);
export type RealtimeConfig = ReturnType<typeof loadRealtimeConfig>;
