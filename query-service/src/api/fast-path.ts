import type http from 'node:http';
import { normalizedExecutor } from '@graphql-tools/executor';
import {
  getOperationAST,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationTypeNode,
} from 'graphql';
import { processRegularResult, type Plugin } from 'graphql-yoga';
import { getCORSHeadersByRequestAndOptions } from '@whatwg-node/server';
import { LRUCache } from 'lru-cache';
import { ErrorCode } from '@cm/contracts';
import type { ApiMetrics } from './api.metrics.js';
import { maskError } from './errors.js';
import type { ContextFactory, ContextRequest, GraphQLContext } from './graphql-context.js';
import { requestStep, type FastRequest, type RequestStep } from './request-steps.js';

type RequestHeaders = ContextRequest['headers'];

export interface FastPathOptions {
  schema: GraphQLSchema;
  metrics: ApiMetrics;
  /** The same context factory yoga uses; a rejection (no token, bad token) sends the request to yoga. */
  context: ContextFactory;
  /** The same request steps yoga runs as plugins; the fast path runs their fast-path side. */
  steps: readonly RequestStep[];
  /** Called with the original of every error masked as `INTERNAL` (yoga logs those the same way). */
  onUnexpectedError(error: unknown): void;
  /** How many approved documents are kept. */
  maxDocuments?: number;
}

/** A request the fast path answers: an approved document, the operation selected, its variables. */
interface Plan {
  document: DocumentNode;
  operation: { type: OperationTypeNode };
  variables: Record<string, unknown> | undefined;
  operationName: string | undefined;
  /** What the request steps' fast-path hooks see. */
  request: FastRequest;
}

/** A document yoga parsed and validated (with every limit of ours), kept by its query text. */
interface Approved {
  document: DocumentNode;
  /** Operation per `operationName` ('' for none). */
  operations: Map<string, { type: OperationTypeNode }>;
}

type JsonType = 'application/graphql-response+json' | 'application/json';

/**
 * The media type yoga would answer a regular (non-streamed) result with, or nothing when the request accepts
 * something else too early in its list (SSE, multipart), which yoga must handle.
 */
function acceptedJsonType(accept: string | undefined): JsonType | undefined {
  if (!accept) return 'application/json';
  for (const part of accept.split(',')) {
    const type = part.split(';', 1)[0]!.trim().toLowerCase();
    if (type === 'application/graphql-response+json' || type === 'application/json') return type;
    if (type === '*/*' || type === 'application/*') return 'application/json';
    if (type) return undefined;
  }
  return undefined;
}

/**
 * The common case of `/graphql` without yoga's per-request machinery: a JSON POST of one query whose text yoga
 * has already parsed and validated. yoga's pipeline (the fetch-API adapter, plugin hooks, content negotiation)
 * costs ~130 µs per request on this machine even for `{ __typename }`, where parsing the body, executing the
 * cached document and writing the result take ~10; at 64 connections that was the largest cost of a mutation.
 *
 * Everything else, and anything unusual, goes to yoga unchanged: GET, other content types, batches, bodies
 * without a length, unknown query texts (yoga approves them through `approvalStep`), failed authentication,
 * subscriptions, and any request a request step refuses (yoga's plugin of that step answers it). The request
 * steps (request-steps.ts) run here through the same functions as their yoga plugins; the answer is built by
 * yoga's own functions (`maskError`, yoga's `processRegularResult` for status and body), and the parity test
 * compares both paths on the same requests, step by step.
 */
export class GraphqlFastPath {
  private readonly approved: LRUCache<string, Approved>;

  constructor(private readonly opts: FastPathOptions) {
    this.approved = new LRUCache({ max: opts.maxDocuments ?? 1000 });
  }

  /**
   * The steps yoga must run: the fast path's own, and its approval step. Handing yoga this list (rather than
   * building one beside it) keeps the two paths on the same steps by construction.
   */
  yogaSteps(): RequestStep[] {
    return [...this.opts.steps, this.approvalStep()];
  }

  /** The step that records, in yoga, every document yoga validated successfully, by its query text. */
  private approvalStep(): RequestStep {
    return requestStep({
      name: 'fast-path-approval',
      plugins: [this.approvalPlugin()],
      fastPathNeedsNothing: 'it is how the fast path learns which documents yoga approved',
      fast: {},
    });
  }

  private approvalPlugin(): Plugin {
    return {
      onValidate: ({ params, context }) => {
        const query = (context as { params?: { query?: unknown } }).params?.query;
        if (typeof query !== 'string' || this.approved.has(query)) return;
        return ({ valid }) => {
          if (valid) this.approved.set(query, { document: params.documentAST, operations: new Map() });
        };
      },
    };
  }

  /**
   * Takes the request when it is a JSON POST to `/graphql` that yoga would answer with a regular result, and
   * returns false without touching it otherwise. A taken request whose body turns out unusual (or whose
   * authentication fails) is handed to `yoga` with the body already read.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse, yoga: FetchHandler): boolean {
    if (req.method !== 'POST' || req.url !== '/graphql') return false;
    const contentType = req.headers['content-type'];
    if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) return false;
    const length = req.headers['content-length'];
    if (!length || !/^\d+$/.test(length)) return false;
    for (const step of this.opts.steps) if (step.fast.admitsHeaders?.(req.headers) === false) return false;
    const mediaType = acceptedJsonType(req.headers.accept);
    if (!mediaType) return false;

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const started = performance.now();
      const plan = this.plan(body, req);
      if (!plan) return void replayToYoga(yoga, req, res, body);
      const headers: RequestHeaders = { get: (name) => headerValue(req.headers[name]) };
      this.opts
        .context({ headers })
        .then(
          async (context) => {
            // A step that refuses this caller leaves the answer to yoga, whose plugin refuses it alike.
            for (const step of this.opts.steps) {
              const admitted = step.fast.admitsCaller?.(context, plan.request);
              if (admitted === false || (admitted instanceof Promise && (await admitted) === false))
                return replayToYoga(yoga, req, res, body);
            }
            // From here on a mutation may have been sent: never hand the request to yoga, which would send it again.
            return this.execute(res, headers, plan, context, mediaType, started);
          },
          () => replayToYoga(yoga, req, res, body), // yoga answers authentication failures (status, codes)
        )
        .catch((e: unknown) => this.internalError(res, e));
    });
    req.on('error', () => res.destroy());
    return true;
  }

  /** What to execute, or nothing when the body is not a single query with a text yoga approved. No side effects. */
  private plan(body: Buffer, incoming: http.IncomingMessage): Plan | undefined {
    let params: unknown;
    try {
      params = JSON.parse(body.toString('utf8'));
    } catch {
      return undefined;
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) return undefined;
    const { query, variables, operationName, extensions, ...rest } = params as Record<string, unknown>;
    if (typeof query !== 'string' || extensions != null || Object.keys(rest).length > 0) return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    const approved = this.approved.get(query);
    const operation = approved && this.operationOf(approved, operationName ?? '');
    if (!approved || !operation || operation.type === 'subscription') return undefined;
    const vars = (variables ?? undefined) as Plan['variables'];
    const request: FastRequest = {
      params: { query, variables: vars, operationName: operationName ?? undefined },
      bodyBytes: body.length,
      operation: operation.type,
      incoming,
    };
    for (const step of this.opts.steps) if (step.fast.admits?.(request) === false) return undefined;
    return {
      document: approved.document,
      operation,
      variables: vars,
      operationName: operationName ?? undefined,
      request,
    };
  }

  private async execute(
    res: http.ServerResponse,
    headers: RequestHeaders,
    plan: Plan,
    contextValue: GraphQLContext,
    mediaType: JsonType,
    started: number,
  ): Promise<void> {
    // yoga's own executor: the same instance of graphql as the schema, and the same results.
    const executed = (await normalizedExecutor({
      schema: this.opts.schema,
      document: plan.document,
      contextValue,
      variableValues: plan.variables,
      operationName: plan.operationName,
    })) as ExecutionResult;
    const masked = executed.errors?.map((e) => {
      const m = maskError(e) as typeof e;
      if (m.extensions?.['code'] === ErrorCode.INTERNAL) this.opts.onUnexpectedError(e);
      return m;
    });
    let result: ExecutionResult = masked ? { ...executed, errors: masked } : executed;
    for (const step of this.opts.steps) if (step.fast.result) result = step.fast.result(result);

    const response = processRegularResult(result, CAPTURE_FETCH_API as never, mediaType) as unknown as CapturedResponse;
    // yoga's CORS headers, from its own function with its default options (createYogaServer sets no `cors`).
    const cors = getCORSHeadersByRequestAndOptions({ headers } as Request, {});
    const stepHeaders: Record<string, string> = {};
    for (const step of this.opts.steps)
      if (step.fast.headers) Object.assign(stepHeaders, step.fast.headers(plan.request));
    res.writeHead(response.init.status, {
      ...response.init.headers,
      ...cors,
      ...stepHeaders,
      'Content-Length': String(Buffer.byteLength(response.body)),
    });
    res.end(response.body);

    this.opts.metrics.fastPathAnswered();
    const answer = { operation: plan.operation.type, result, seconds: (performance.now() - started) / 1000 };
    for (const step of this.opts.steps) step.fast.answered?.(answer);
  }

  private internalError(res: http.ServerResponse, error: unknown): void {
    this.opts.onUnexpectedError(error);
    if (res.headersSent) return void res.destroy();
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ errors: [{ message: 'internal error', extensions: { code: ErrorCode.INTERNAL } }] }));
  }

  /** The operation `name` selects; only names that select one are remembered, so clients cannot grow the map. */
  private operationOf(approved: Approved, name: string): { type: OperationTypeNode } | undefined {
    const known = approved.operations.get(name);
    if (known) return known;
    const ast = getOperationAST(approved.document, name || undefined);
    if (!ast) return undefined;
    const op = { type: ast.operation };
    approved.operations.set(name, op);
    return op;
  }
}

function headerValue(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** What the fast path hands unusual requests to: yoga's fetch handler. */
export interface FetchHandler {
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body: Buffer },
    serverContext: { req: http.IncomingMessage; res: http.ServerResponse },
  ): Promise<Response> | Response;
}

/** Hands yoga a request whose body was already read, and writes yoga's answer. */
async function replayToYoga(
  yoga: FetchHandler,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
): Promise<void> {
  try {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      const v = headerValue(value);
      if (v !== null) headers[name] = v;
    }
    // The node request goes along as yoga's server context, as when yoga serves it itself: steps read the peer
    // address and what the fast path already decided for this request from it.
    const response = await yoga.fetch(
      `http://${req.headers.host ?? 'localhost'}${req.url ?? '/graphql'}`,
      { method: req.method ?? 'POST', headers, body },
      { req, res },
    );
    const out: Record<string, string> = {};
    response.headers.forEach((value, name) => (out[name] = value));
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...out, 'content-length': String(payload.length) });
    res.end(payload);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
    res.end();
  }
}

/** What `processRegularResult` builds, captured instead of becoming a fetch `Response` (a stream we would read back). */
interface CapturedResponse {
  body: string;
  init: { status: number; headers: Record<string, string> };
}
const CAPTURE_FETCH_API = {
  Response: class {
    constructor(
      readonly body: string,
      readonly init: { status: number; headers: Record<string, string> },
    ) {}
  },
};
