import type { Logger } from '@cm/platform';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql-context.js';

/** Warns about a request slower than `thresholdMs` (`SLOW_QUERY_MS`), with what identifies it. */
export function warnIfSlow(logger: Logger, thresholdMs: number, ms: number, what: Record<string, unknown>): void {
  if (thresholdMs > 0 && ms > thresholdMs)
    logger.warn({ ...what, ms: Math.round(ms), thresholdMs }, 'slow GraphQL request');
}

/** yoga's side: times execution, from the start of `execute` to its result. */
export function slowQueryPlugin(logger: Logger, thresholdMs: number): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone() {
          const ctx = args.contextValue as GraphQLContext;
          warnIfSlow(logger, thresholdMs, performance.now() - started, {
            operationName: args.operationName ?? null,
            correlationId: ctx.correlationId,
            userId: ctx.principal.userId,
          });
        },
      };
    },
  };
}
