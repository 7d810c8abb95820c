export * from './launcher.js';
export { freePort } from './launcher/free-port.js';
export { isolatedNames } from './isolation.js';
export { dropNamespace, dropRedisModel, type CleanupTarget } from './namespace-cleanup.js';
export { provisionFromEnv } from './provision.js';
