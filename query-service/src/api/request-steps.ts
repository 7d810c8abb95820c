import type http from 'node:http';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ApiMetrics, OperationType } from './api.metrics.js';
import type { GraphQLContext } from './graphql-context.js';
import { bodyLimitPlugin, declaredLengthWithin, DEFAULT_MAX_BODY_BYTES } from './plugins/body-limit.plugin.js';
import { errorCodesPlugin, stabilizeResult } from './plugins/error-codes.plugin.js';
import { limitsPlugins, type QueryLimits } from './plugins/limits.plugin.js';
import { metricsPlugin, outcomeOf } from './plugins/metrics.plugin.js';
import { admitCaller, decisionHeaders, rateLimitPlugin } from './plugins/rate-limit.plugin.js';
import type { RateLimits } from './rate-limit.js';
import { slowQueryPlugin, warnIfSlow } from './plugins/slow-query.plugin.js';
import type { Logger } from '@cm/platform';
import {
  DEFAULT_VARIABLES_LIMITS,
  variablesLimitPlugin,
  variablesProblem,
  type VariablesLimits,
} from './plugins/variables-limit.plugin.js';

/*
 * Every GraphQL request goes through the same steps whichever path answers it: yoga (with its plugin pipeline),
 * or the fast path (which skips yoga's per-request machinery for JSON POSTs of a query text yoga has approved).
 * A step is declared once, here, with both of its sides: the yoga plugins that run it and the fast path's hooks,
 * which call the same functions. yoga refuses at start-up any plugin that no step declares (see
 * `assertEveryPluginIsAStep`), so a plugin cannot be added to yoga alone and silently skip most requests.
 *
 * To add a step (rate limiting, tracing, cache statistics): write its plugin and the function it calls, declare
 * it in `requestSteps` at its place in the order with the fast path's hooks calling that function, and add a case
 * to the parity test in graphql-api.int.spec.ts.
 *
 * Authentication is not a plugin: both paths build their context with one shared `ContextFactory`, and the fast
 * path hands any request whose context fails to yoga, which answers it. Error masking is yoga's `maskError`
 * option, which the fast path calls directly.
 */

/** What the fast path knows of a request once its body is parsed, before anything is executed. */
export interface FastRequest {
  params: { query: string; variables?: Record<string, unknown>; operationName?: string };
  /** The body's length (the fast path takes only bodies of declared length). */
  bodyBytes: number;
  /** The operation the request runs. */
  operation: OperationType;
  /** The HTTP request: its peer, and what earlier hooks decided for it (yoga gets the same object on a hand-over). */
  incoming: http.IncomingMessage;
}

/** A request the fast path has answered. */
export interface FastAnswer {
  operation: OperationType;
  result: ExecutionResult;
  seconds: number;
}

/**
 * The fast path's side of a step. A hook that refuses does not answer: it leaves the request to yoga, whose
 * plugin refuses it, so a refusal reads the same on both paths by construction.
 */
export interface FastSide {
  /** Before the body is read; `false` leaves the request to yoga. */
  admitsHeaders?(headers: http.IncomingHttpHeaders): boolean;
  /** Once the body is parsed, before execution; `false` hands the request (body already read) to yoga. */
  admits?(request: FastRequest): boolean;
  /**
   * Once the caller is authenticated (its context built), before execution: where a per-caller step such as rate
   * limiting decides. `false` hands the request to yoga, whose plugin runs the same check again and refuses it,
   * so such a check must not count a request it refuses (rate limiting remembers its decision by `incoming`).
   */
  admitsCaller?(context: GraphQLContext, request: FastRequest): boolean | Promise<boolean>;
  /** Headers the answer carries (yoga: the step's `onResponse`). */
  headers?(request: FastRequest): Record<string, string> | undefined;
  /** The result on its way to the client (yoga: `onResultProcess`). */
  result?(result: ExecutionResult): ExecutionResult;
  /** After the answer is written. */
  answered?(answer: FastAnswer): void;
}

export interface RequestStep {
  readonly name: string;
  /** yoga's side, in pipeline order. */
  readonly plugins: readonly Plugin[];
  /** The fast path's side. */
  readonly fast: FastSide;
  /** For a step whose fast side has no hooks: why the fast path still does what its plugins do. */
  readonly fastPathNeedsNothing?: string;
}

/** Every plugin some step declares: what yoga accepts. */
const declared = new WeakMap<Plugin, string>();

/** Declares a step; only plugins declared this way may run in yoga. */
export function requestStep(step: RequestStep): RequestStep {
  const hooks = Object.keys(step.fast).length;
  if (step.plugins.length > 0 && hooks === 0 && !step.fastPathNeedsNothing) {
    throw new Error(
      `request step "${step.name}" has yoga plugins but no fast-path side: give it hooks, or say in fastPathNeedsNothing why none are needed`,
    );
  }
  for (const plugin of step.plugins) declared.set(plugin, step.name);
  return step;
}

/**
 * Throws, naming them, when `plugins` hold any plugin no request step declares: the fast path would not run it.
 * yoga's server calls this at start-up with its whole plugin list.
 */
export function assertEveryPluginIsAStep(plugins: readonly Plugin[]): void {
  const unknown = plugins.flatMap((p, i) =>
    declared.has(p) ? [] : [`#${i} (hooks: ${Object.keys(p).join(', ') || 'none'})`],
  );
  if (unknown.length) {
    throw new Error(
      `yoga plugin ${unknown.join(', ')} is not part of a request step, so the fast path would skip it for most requests; ` +
        'declare it with its fast-path side in query-service/src/api/request-steps.ts',
    );
  }
}

export type ApiLimits = QueryLimits & Partial<VariablesLimits> & { maxBodyBytes?: number };

export interface RequestStepsOptions {
  limits: ApiLimits;
  metrics: ApiMetrics;
  /** Request budgets (`RATE_LIMIT_*`); without them nothing is rate limited. */
  rateLimits?: RateLimits;
  /** Requests slower than `thresholdMs` (`SLOW_QUERY_MS`) are logged; without it, none. */
  slowQueries?: { logger: Logger; thresholdMs: number };
}

/** The steps of every request, in order. */
export function requestSteps({ limits, metrics, rateLimits, slowQueries }: RequestStepsOptions): RequestStep[] {
  const maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const variablesLimits: VariablesLimits = {
    maxVariablesBytes: limits.maxVariablesBytes ?? DEFAULT_VARIABLES_LIMITS.maxVariablesBytes,
    maxVariablesDepth: limits.maxVariablesDepth ?? DEFAULT_VARIABLES_LIMITS.maxVariablesDepth,
  };
  return [
    requestStep({
      name: 'body-limit',
      // After yoga's request parsers (they are registered before user plugins), so it can wrap the chosen one.
      plugins: [bodyLimitPlugin(maxBodyBytes)],
      fast: { admitsHeaders: (headers) => declaredLengthWithin(headers, maxBodyBytes) },
    }),
    requestStep({
      name: 'variables-limit',
      plugins: [variablesLimitPlugin(variablesLimits)],
      fast: {
        admits: ({ params, bodyBytes }) => variablesProblem(params.variables, variablesLimits, bodyBytes) === undefined,
      },
    }),
    requestStep({
      name: 'query-limits',
      plugins: limitsPlugins(limits),
      fastPathNeedsNothing: 'the fast path executes only documents yoga parsed and validated with these rules',
      fast: {},
    }),
    // After authentication (the caller is known) and before anything runs; its refusal is RATE_LIMITED.
    ...(rateLimits ? [rateLimitStep(rateLimits)] : []),
    // Order matters: codes are settled before the metrics read them as outcomes.
    requestStep({
      name: 'error-codes',
      plugins: [errorCodesPlugin()],
      fast: { result: stabilizeResult },
    }),
    requestStep({
      name: 'metrics',
      plugins: [metricsPlugin(metrics)],
      fast: { answered: ({ operation, result, seconds }) => metrics.operation(operation, outcomeOf(result), seconds) },
    }),
    ...(slowQueries
      ? [
          requestStep({
            name: 'slow-query',
            plugins: [slowQueryPlugin(slowQueries.logger, slowQueries.thresholdMs) as Plugin],
            fast: {
              answered: ({ operation, seconds }) =>
                warnIfSlow(slowQueries.logger, slowQueries.thresholdMs, seconds * 1000, { operation, path: 'fast' }),
            },
          }),
        ]
      : []),
  ];
}

/** Charges every request to its caller's budget and tells the caller its standing in X-RateLimit headers. */
export function rateLimitStep(rateLimits: RateLimits): RequestStep {
  return requestStep({
    name: 'rate-limit',
    plugins: [rateLimitPlugin(rateLimits) as Plugin],
    fast: {
      admitsCaller: (context, { incoming, operation }) => admitCaller(rateLimits, context, incoming, operation),
      headers: ({ incoming }) => decisionHeaders(incoming),
    },
  });
}
