import http from 'node:http';
import { AppError, ErrorCode } from '@cm/contracts';
import { handleOps, type OpsOptions } from '@cm/platform';
import { sendError } from './sse.adapter.js';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => void | Promise<void>;

export interface HttpOptions {
  ops: OpsOptions;
  /** `METHOD /path` → handler. */
  routes: Record<string, Route>;
  corsOrigins: string[];
}

const CORS_HEADERS = 'authorization, content-type, last-event-id, x-graphql-event-stream-token, x-correlation-id';

/** Adds CORS headers for an allowed origin; answers preflights. Returns true when the request is fully answered. */
function cors(req: http.IncomingMessage, res: http.ServerResponse, origins: string[]): boolean {
  const origin = req.headers.origin;
  if (origin && (origins.includes('*') || origins.includes(origin))) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'origin');
  }
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, PUT, DELETE',
    'access-control-allow-headers': CORS_HEADERS,
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

/** The gateway's one HTTP server: ops endpoints, the stream endpoints and (in development) the live page. */
export function createHttpServer(opts: HttpOptions): http.Server {
  const server = http.createServer((req, res) => {
    if (handleOps(opts.ops, req, res)) return;
    if (cors(req, res, opts.corsOrigins)) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    const route = opts.routes[`${req.method} ${url.pathname}`];
    if (!route) return sendError(res, new AppError(ErrorCode.NOT_FOUND, `no route ${req.method} ${url.pathname}`));
    Promise.resolve(route(req, res, url)).catch((e: unknown) => sendError(res, e));
  });
  // Streams are long-lived: no request timeout, and keep-alive longer than any proxy's idle timer.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 20_000;
  return server;
}
