export { freePort } from '@cm/infra';
export { CommandClient, waitForSagas } from './command-client.js';
export { startCommandService, type RunningCommandService } from './command-service.js';
export { GraphQLClient, type GraphQLErrorShape, type GraphQLResponse } from './graphql-client.js';
export { closeTestNats, connectTestNats, dropNamespace, lastSeq, NATS_URL, testNamespace } from './nats.js';
export { distEntry, ServiceProcess, WORKSPACE } from './service-process.js';
export { until } from './until.js';
