import http from 'node:http';
import { closeServer, createLogger, createMetrics, type Registry } from '@cm/platform';
import { ApiMetrics } from './api.metrics.js';
import { graphqlHandler } from './create-api.js';
import { GraphqlFastPath } from './fast-path.js';
import { contextFactory, type ApiServices } from './graphql-context.js';
import type { RateLimits } from './rate-limit.js';
import { requestSteps, type ApiLimits, type RequestStep } from './request-steps.js';
import { buildSchema } from './schema.js';
import { createYogaServer } from './yoga-server.js';

/** Collaborators that fail the test when touched: for requests that must be answered at the HTTP edge. */
export const untouchable = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_, prop) => {
      throw new Error(`${name}.${String(prop)} must not be reached by a request answered at the edge`);
    },
  });

export interface ApiEdge {
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

/**
 * `/graphql` wired as createApi wires it (the fast path in front of yoga, one list of request steps for both) on
 * a real local HTTP server, without NATS or Postgres: every request must be answered before a resolver needs them.
 */
export async function startApiEdge(opts: {
  secret: string;
  limits?: Partial<ApiLimits>;
  extraSteps?: RequestStep[];
  rateLimits?: RateLimits;
}): Promise<ApiEdge> {
  const services: ApiServices = {
    readModel: untouchable('readModel'),
    commands: untouchable('commands'),
    tracker: untouchable('tracker'),
    jwtSecret: opts.secret,
    minSeqTimeoutMs: 100,
    newId: () => 'id-1',
  };
  const registry = createMetrics('api-edge-test');
  const metrics = new ApiMetrics(registry);
  const schema = buildSchema();
  const context = contextFactory(services);
  const limits: ApiLimits = { maxDepth: 10, maxAliases: 30, maxTokens: 5000, maxCost: 20000, ...opts.limits };
  const steps = [...requestSteps({ limits, metrics, rateLimits: opts.rateLimits }), ...(opts.extraSteps ?? [])];
  const fastPath = new GraphqlFastPath({ schema, metrics, context, steps, onUnexpectedError: () => undefined });
  const logger = createLogger('query-service-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
  const yoga = createYogaServer({
    services,
    metrics,
    logger,
    schema,
    context,
    limits,
    graphiql: false,
    steps: fastPath.yogaSteps(),
  });
  const server = http.createServer(graphqlHandler(fastPath, yoga));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    registry,
    close: () => closeServer(server),
  };
}
