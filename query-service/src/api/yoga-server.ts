import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaLogger } from 'graphql-yoga';
import { ErrorCode, isAppError } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { ApiMetrics } from './api.metrics.js';
import { maskError, rootCause } from './errors.js';
import { graphiqlOptions } from './graphiql.js';
import { contextFactory, type ApiServices, type ContextFactory } from './graphql-context.js';
import { assertEveryPluginIsAStep, requestSteps, type ApiLimits, type RequestStep } from './request-steps.js';
import { buildSchema } from './schema.js';

export interface YogaServerOptions {
  services: ApiServices;
  metrics: ApiMetrics;
  logger: Logger;
  /** Query, body and variables limits (the last two have defaults). */
  limits: ApiLimits;
  /** The GraphiQL IDE on GET /graphql; off in production. */
  graphiql: boolean;
  /** Signs the token GraphiQL opens with (development only); without it the page opens signed out. */
  graphiqlToken?: () => Promise<string>;
  /** Shared with the fast path, so both build contexts alike and trust the same verified tokens. */
  context?: ContextFactory;
  /** Shared with the fast path, which executes the documents yoga approved against it. */
  schema?: GraphQLSchema;
  /** The request steps; by default `requestSteps` of `limits` and `metrics`. Shared with the fast path. */
  steps?: readonly RequestStep[];
  /** More plugins, after the steps'; each must belong to a request step (start-up fails otherwise). */
  plugins?: Plugin[];
}

/**
 * yoga logs through our pino logger. At error level it logs the original of every error it masked: for our
 * own coded errors (a FORBIDDEN, a VALIDATION) that is the normal course of things, not an incident.
 */
function yogaLogger(logger: Logger): YogaLogger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      const cause = rootCause(first);
      if (isAppError(cause) && cause.code !== ErrorCode.INTERNAL)
        logger.debug({ code: cause.code, message: cause.message }, 'graphql: request refused');
      else if (first instanceof Error) logger[level]({ err: first }, 'graphql: unexpected error');
      else logger[level]({ details: rest.length ? rest : undefined }, `graphql: ${String(first)}`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * The yoga instance behind `/graphql`: schema, per-request context (authentication, loaders, consistency
 * waits), masked errors, and the request steps (limits, stable error codes, metrics). Transport-agnostic:
 * `createApi` serves it to Node's HTTP server, tests call its `fetch`. Throws when a plugin belongs to no
 * request step (see request-steps.ts).
 */
export function createYogaServer(opts: YogaServerOptions) {
  const context = opts.context ?? contextFactory(opts.services);
  const steps = opts.steps ?? requestSteps({ limits: opts.limits, metrics: opts.metrics });
  const plugins = [...steps.flatMap((s) => s.plugins), ...(opts.plugins ?? [])];
  assertEveryPluginIsAStep(plugins);
  return createYoga({
    schema: opts.schema ?? buildSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: opts.graphiql ? () => graphiqlOptions(opts.graphiqlToken) : false,
    // GraphiQL with its assets inlined: yoga's default page loads them from unpkg.com, which a machine without
    // internet access cannot reach.
    renderGraphiQL,
    landingPage: false,
    logging: yogaLogger(opts.logger),
    maskedErrors: { maskError },
    // Replaced by bodyLimitPlugin, which enforces the same limit without streaming bodies of known length.
    maxRequestBodySize: false,
    context: ({ request }) => context(request),
    plugins,
  });
}

export type YogaServer = ReturnType<typeof createYogaServer>;
