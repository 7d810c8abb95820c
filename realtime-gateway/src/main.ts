import { natsNames } from '@cm/contracts';
import { runMain, startOpsOnlyService } from '@cm/platform';
import { loadRealtimeConfig } from './config.js';

// A placeholder process until the SSE fan-out is built (DESIGN §6): it starts, reports readiness and shuts down
// like every other service, so deployments and the launcher can include it already.
runMain(async () => {
  const config = loadRealtimeConfig();
  const logger = await startOpsOnlyService('realtime-gateway', config, config.REALTIME_PORT);
  logger.warn(
    { events: natsNames(config.CM_NAMESPACE).eventWildcard },
    'realtime-gateway is a placeholder awaiting its own issue: it serves /health, /ready and /metrics and does nothing else yet',
  );
});
