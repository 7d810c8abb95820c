import type { GraphQLError, ValidationContext } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { ErrorCode } from '@cm/contracts';
import { stripArmorPrefix } from '../errors.js';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxCost: number;
}

/**
 * graphql-armor's errors carry no code. We take over its rejection: validation rules report a
 * `QUERY_TOO_COMPLEX` error on the validation context (so every exceeded limit is listed), and the token
 * limit, which runs inside the parser and has no context, throws it.
 */
function rejectAsTooComplex(ctx: ValidationContext | null, error: GraphQLError): void {
  const tooComplex = createGraphQLError(stripArmorPrefix(error.message), {
    nodes: error.nodes,
    extensions: { code: ErrorCode.QUERY_TOO_COMPLEX },
  });
  if (ctx) ctx.reportError(tooComplex);
  else throw tooComplex;
}

const rejection = { onReject: [rejectAsTooComplex], propagateOnRejection: false, exposeLimits: true };

/** Depth, alias, token and cost limits on every operation (introspection is exempt from depth and cost). */
export function limitsPlugins(limits: QueryLimits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...rejection }),
    maxDepthPlugin({ n: limits.maxDepth, ...rejection }),
    maxAliasesPlugin({ n: limits.maxAliases, ...rejection }),
    costLimitPlugin({ maxCost: limits.maxCost, ...rejection }),
  ] as Plugin[];
}
