import type http from 'node:http';
import { getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { ErrorCode } from '@cm/contracts';
import type { GraphQLContext } from '../graphql-context.js';
import { rateLimitHeaders, type RateBudget, type RateDecision, type RateLimits } from '../rate-limit.js';

/*
 * One charge per request, whichever path answers it. The fast path charges in its per-caller hook and, when the
 * budget is spent, hands the request to yoga; yoga's plugin finds the decision already made for that HTTP request
 * (by its node request object, which the fast path passes on) instead of charging it a second time.
 */
const decisions = new WeakMap<object, RateDecision>();

/** The node request yoga serves, when served from Node's HTTP server (not from tests calling `fetch` alone). */
type ServerContext = { req?: http.IncomingMessage };

function refusal(d: RateDecision) {
  return createGraphQLError(`rate limit exceeded: ${d.limit} requests per window; see Retry-After`, {
    // The headers (Retry-After among them) are set by onResponse, on refusals and answers alike.
    extensions: { code: ErrorCode.RATE_LIMITED, http: { status: 429 } },
  });
}

/** The fast path's side: charges the signed-in caller; `false` leaves the refusal to yoga's plugin. */
export async function admitCaller(
  limits: RateLimits,
  context: GraphQLContext,
  incoming: http.IncomingMessage,
  operation: string,
): Promise<boolean> {
  const d = await limits.charge(context.principal.userId, operation === 'mutation' ? 'mutation' : 'query');
  decisions.set(incoming, d);
  return d.allowed;
}

/** The headers of the decision made for `incoming`, for the fast path's answer. */
export function decisionHeaders(incoming: http.IncomingMessage): Record<string, string> | undefined {
  const d = decisions.get(incoming);
  return d && rateLimitHeaders(d);
}

/** yoga's side. */
export function rateLimitPlugin(limits: RateLimits): Plugin<GraphQLContext & ServerContext> {
  /** Decisions by yoga's fetch Request, for `onResponse`. */
  const byRequest = new WeakMap<Request, RateDecision>();
  const decide = async (req: http.IncomingMessage | undefined, caller: string, budget: RateBudget) => {
    const made = req && decisions.get(req);
    if (made) return made;
    const d = await limits.charge(caller, budget);
    if (req) decisions.set(req, d);
    return d;
  };
  return {
    async onRequest({ request, serverContext, endResponse }) {
      // Requests without a token (the GraphiQL page, a client that forgot it) are charged to their address.
      if (request.headers.get('authorization')) return;
      const d = await decide(
        (serverContext as ServerContext).req,
        limits.anonymousCaller((serverContext as ServerContext).req),
        'anonymous',
      );
      byRequest.set(request, d);
      if (!d.allowed) {
        const body = JSON.stringify({
          errors: [{ message: refusal(d).message, extensions: { code: ErrorCode.RATE_LIMITED } }],
        });
        endResponse(
          new Response(body, {
            status: 429,
            headers: { 'content-type': 'application/json; charset=utf-8', ...rateLimitHeaders(d) },
          }),
        );
      }
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as GraphQLContext & ServerContext & { request: Request };
      const operation = getOperationAST(args.document, args.operationName ?? undefined)?.operation;
      const d = await decide(context.req, context.principal.userId, operation === 'mutation' ? 'mutation' : 'query');
      byRequest.set(context.request, d);
      if (!d.allowed) setResultAndStopExecution({ errors: [refusal(d)] });
    },
    onResponse({ request, response }) {
      const d = byRequest.get(request);
      if (!d) return;
      for (const [name, value] of Object.entries(rateLimitHeaders(d))) response.headers.set(name, value);
    },
  };
}
