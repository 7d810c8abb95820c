import { natsNames } from '@cm/contracts';
import {
  loadConfig,
  natsResources,
  natsResourcesConfigSchema,
  provisionNatsResources,
  type ProvisionResult,
} from '@cm/platform';
import { withNats } from './nats-admin.js';

/**
 * Creates and updates the NATS resources of one namespace (`natsResources` of @cm/platform) with the settings
 * `env` gives them, read by the loader the services use: `cm provision`, the launcher before it starts services,
 * and the test kit all provision through this. Resolves to what happened to each resource, by label.
 */
export async function provisionFromEnv(env: NodeJS.ProcessEnv): Promise<[string, ProvisionResult][]> {
  const config = loadConfig(natsResourcesConfigSchema, env, { jwtSecret: false });
  const resources = natsResources(natsNames(config.CM_NAMESPACE), config);
  return withNats('cm-provision', (nats) => provisionNatsResources(nats, resources), config.NATS_URL);
}
