import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ApiMetrics, OperationType } from '../api.metrics.js';
import { isGraphQLError } from '../errors.js';

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
      const error = first && 'errors' in first ? first.errors?.[0] : undefined;
      const code = isGraphQLError(error) ? error.extensions?.['code'] : undefined;
      const outcome = error ? (typeof code === 'string' ? code : 'INTERNAL') : 'ok';
      metrics.operation(operationOf.get(request) ?? 'unknown', outcome, (performance.now() - begun) / 1000);
    },
  };
}
