import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ApiMetrics, OperationType } from '../api.metrics.js';
import { isGraphQLError } from '../errors.js';

/** A result's outcome label: `ok`, or the code of its first error (`INTERNAL` when it has none). */
export function outcomeOf(result: { errors?: readonly unknown[] } | undefined): string {
  const error = result?.errors?.[0];
  if (!error) return 'ok';
  const code = isGraphQLError(error) ? error.extensions?.['code'] : undefined;
  return typeof code === 'string' ? code : 'INTERNAL';
}

/**
 * Counts and times every GraphQL request by operation type and outcome. The operation type is learned at
 * validation (after parsing), the outcome where the result is handed to HTTP, so requests that fail early
 * (bad syntax, no token) are counted too, as `unknown`. Must come after `errorCodesPlugin`, whose codes
 * become the outcome.
 */
export function metricsPlugin(metrics: ApiMetrics): Plugin {
  const started = new WeakMap<Request, number>();
  const operationOf = new WeakMap<Request, OperationType>();
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onValidate({ params, context }) {
      const ctx = context as { request?: Request; params?: { operationName?: string | null } };
      const op = getOperationAST(params.documentAST, ctx.params?.operationName ?? undefined);
      if (ctx.request && op) operationOf.set(ctx.request, op.operation);
    },
    onResultProcess({ request, result }) {
      const begun = started.get(request);
      if (begun === undefined) return;
      started.delete(request);
      const first = Array.isArray(result) ? result[0] : result;
      const outcome = outcomeOf(first && 'errors' in first ? first : undefined);
      metrics.operation(operationOf.get(request) ?? 'unknown', outcome, (performance.now() - begun) / 1000);
    },
  };
}
