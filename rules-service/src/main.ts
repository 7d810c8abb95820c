import { natsNames } from '@cm/contracts';
import { runMain, startOpsOnlyService } from '@cm/platform';
import { loadRulesConfig } from './config.js';

// A placeholder process until FieldCondition evaluation is built (DESIGN §5): it starts, reports readiness and
// shuts down like every other service, so deployments and the launcher can include it already.
runMain(async () => {
  const config = loadRulesConfig();
  const logger = await startOpsOnlyService('rules-service', config, config.RULES_OPS_PORT);
  logger.warn(
    { subject: natsNames(config.CM_NAMESPACE).rulesEvaluateSubject },
    'rules-service is a placeholder awaiting its own issue: it serves /health, /ready and /metrics and does nothing else yet',
  );
});
