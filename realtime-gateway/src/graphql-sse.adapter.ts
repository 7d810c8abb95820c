import {
  buildSchema,
  getArgumentValues,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
} from 'graphql';
import { createHandler, TOKEN_HEADER_KEY, TOKEN_QUERY_KEY } from 'graphql-sse';
import { realtimeTypeDefs, toErrorPayload, typeDefs } from '@cm/contracts';
import { authenticate, tokenOf, type Caller } from './auth.js';
import type { Gateway } from './gateway.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import { GraphqlSink } from './graphql-sse.sink.js';
import { subscriptionRequestOf } from './graphql-subscription.js';
import { isGone, sendError, write, writeHead, type Request, type Response } from './http-server.js';
import { STREAM_HEADERS } from './sse.adapter.js';

/** The query service's types plus the subscriptions; the gateway serves only the subscriptions. */
export const realtimeSchema = buildSchema(`${typeDefs}\n${realtimeTypeDefs}`);

const coded = (e: unknown): ExecutionResult => {
  const p = toErrorPayload(e);
  return {
    errors: [
      new GraphQLError(p.message, { extensions: { code: p.code, ...(p.details ? { details: p.details } : {}) } }),
    ],
  };
};

/**
 * graphql-sse (both modes) on `/graphql/stream`. graphql-sse validates each operation once; our `subscribe`
 * turns it into a room subscription instead of graphql-js's per-subscriber source stream, so an event is
 * executed once per distinct operation, not once per subscriber. The HTTP glue is ours (about graphql-sse's
 * own `use/http`) so writes do not wait one by one and the stream's buffer can be bounded.
 */
export function createGraphqlSseHandler(
  gateway: Gateway,
  opts: { jwtSecret: string; maxQueueBytes: number },
  metrics: GatewayMetrics,
) {
  const callers = new WeakMap<Request, Caller>();
  /** Single-connection mode: the response each stream token writes to. */
  const streams = new Map<string, Response>();
  const streamTokenOf = (req: Request, url: URL): string | undefined => {
    const h = req.headers[TOKEN_HEADER_KEY];
    return (Array.isArray(h) ? h[0] : h) ?? url.searchParams.get(TOKEN_QUERY_KEY) ?? undefined;
  };

  const subscribe = async (args: ExecutionArgs): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> => {
    const { req, res, url } = args.contextValue as { req: Request; res: Response; url: URL };
    const caller = callers.get(req)!;
    const operation = getOperationAST(args.document, args.operationName);
    const fieldNode = operation?.selectionSet.selections[0] as FieldNode | undefined;
    const fieldDef = fieldNode && realtimeSchema.getSubscriptionType()?.getFields()[fieldNode.name.value];
    if (!operation || !fieldNode || !fieldDef) return coded(new Error('no subscription field'));
    const vars = getVariableValues(
      realtimeSchema,
      operation.variableDefinitions ?? [],
      (args.variableValues ?? {}) as Record<string, unknown>,
    );
    if (vars.errors)
      return { errors: vars.errors.map((e) => new GraphQLError(e.message, { extensions: { code: 'VALIDATION' } })) };
    try {
      const request = subscriptionRequestOf(
        fieldDef.name,
        getArgumentValues(fieldDef, fieldNode, vars.coerced),
        gateway.names,
      );
      const token = streamTokenOf(req, url);
      const key = `${print(args.document)}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}`;
      const op = {
        schema: realtimeSchema,
        document: args.document,
        operationName: args.operationName ?? undefined,
        variableValues: vars.coerced,
        field: fieldNode.alias?.value ?? fieldDef.name,
        key,
      };
      const sink = new GraphqlSink(op, () => (token ? streams.get(token) : res), opts.maxQueueBytes, metrics);
      const sub = await gateway.open(
        { ...request, userId: caller.userId, expiresAtMs: caller.expiresAtMs },
        () => sink,
      );
      sink.onReturn = () => sub.close('CLIENT_GONE', 'operation completed by the client');
      return sink;
    } catch (e) {
      metrics.refused.inc({ code: toErrorPayload(e).code });
      return coded(e);
    }
  };

  const handler = createHandler<Request, { res: Response; url: URL }, never>({
    schema: realtimeSchema,
    context: (req) => ({ req: req.raw, res: req.context.res, url: req.context.url }) as never,
    subscribe: subscribe as never,
    execute: (() =>
      coded(
        Object.assign(
          new Error('this endpoint serves subscriptions only; queries and mutations go to the GraphQL API'),
          {},
        ),
      )) as never,
  });

  return async (req: Request, res: Response, url: URL): Promise<void> => {
    try {
      callers.set(req, await authenticate(opts.jwtSecret, tokenOf(req, url, false)));
    } catch (e) {
      metrics.refused.inc({ code: toErrorPayload(e).code });
      return sendError(res, e);
    }
    const [body, init] = await handler({
      method: req.method!,
      url: req.url!,
      headers: {
        get: (key: string) => {
          const v = req.headers[key];
          return Array.isArray(v) ? v.join('\n') : v;
        },
      },
      body: () =>
        new Promise<string>((resolve, reject) => {
          let text = '';
          req.setEncoding('utf8');
          req.on('data', (c: string) => (text += c));
          req.once('error', reject);
          req.once('end', () => resolve(text));
        }),
      raw: req,
      context: { res, url },
    });
    const streaming = body !== null && typeof body !== 'string';
    // graphql-sse's headers include `connection: keep-alive` and a status text, which `writeHead` leaves out on
    // HTTP/2 (graphql-sse's own `use/http2` is this same glue over the compat API, and writes them).
    const headers = (init.headers ?? {}) as Record<string, string>;
    writeHead(res, init.status, streaming ? { ...headers, ...STREAM_HEADERS } : headers, init.statusText);
    if (!streaming) return void res.end(body ?? '');
    const token = streamTokenOf(req, url);
    if (token) streams.set(token, res);
    metrics.clients.inc({ transport: 'graphql-sse' });
    res.once('close', () => {
      if (token && streams.get(token) === res) streams.delete(token);
      metrics.clients.dec({ transport: 'graphql-sse' });
      void body.return?.(undefined);
    });
    // Written as they come (graphql-sse's own adapter waits for each write): the response buffer is the queue
    // the sinks bound.
    for await (const chunk of body) {
      if (isGone(res) || res.writableEnded) break;
      write(res, chunk);
    }
    res.end();
  };
}
