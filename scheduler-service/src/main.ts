import { natsNames } from '@cm/contracts';
import { runMain, startOpsOnlyService } from '@cm/platform';
import { loadSchedulerConfig } from './config.js';

// A placeholder process until the cron jobs and the job queue are built (DESIGN §7): it starts, reports
// readiness and shuts down like every other service, so deployments and the launcher can include it already.
runMain(async () => {
  const config = loadSchedulerConfig();
  const logger = await startOpsOnlyService('scheduler-service', config, config.SCHEDULER_OPS_PORT);
  logger.warn(
    { jobs: natsNames(config.CM_NAMESPACE).jobWildcard },
    'scheduler-service is a placeholder awaiting its own issue: it serves /health, /ready and /metrics and does nothing else yet',
  );
});
