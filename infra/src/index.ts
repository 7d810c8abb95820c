export * from './launcher.js';
export { freePort } from './launcher/free-port.js';
export { isolatedNames } from './isolation.js';
export { dropNamespace, namespaceStreams, type CleanupTarget } from './namespace-cleanup.js';
export { repoRoot } from './paths.js';
export { provisionFromEnv } from './provision.js';
