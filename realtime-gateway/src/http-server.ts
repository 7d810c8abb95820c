import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import type { Writable } from 'node:stream';
import type tls from 'node:tls';
import { AppError, ErrorCode, httpStatusOf, toErrorPayload } from '@cm/contracts';
import { handleOps, type OpsOptions } from '@cm/platform';
import type { Listener } from './config.js';

/** A request over HTTP/1.1 or HTTP/2 (Node's compatibility API gives both the same shape). */
export type Request = http.IncomingMessage | http2.Http2ServerRequest;
export type Response = http.ServerResponse | http2.Http2ServerResponse;
export type Route = (req: Request, res: Response, url: URL) => void | Promise<void>;

export const isHttp2 = (res: Response): res is http2.Http2ServerResponse => res instanceof http2.Http2ServerResponse;

/** Writes to either protocol's response (both are Writables; TypeScript cannot call the union's overloads). */
export const write = (res: Response, chunk: string | Buffer): boolean => (res as Writable).write(chunk);

/** The connection went away (the compat response has no `destroyed` of its own: its stream has). */
export const isGone = (res: Response): boolean => (isHttp2(res) ? res.stream.destroyed : res.destroyed);

/**
 * Headers HTTP/2 forbids (RFC 9113 §8.2.2): the compat API drops them with a warning and `stream.respond` throws,
 * so they are left out there rather than sent and dropped.
 */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** `writeHead` for both protocols: no status text and no connection-specific headers on HTTP/2. */
export function writeHead(res: Response, status: number, headers: Record<string, string>, statusText?: string): void {
  if (!isHttp2(res)) {
    if (statusText) res.writeHead(status, statusText, headers);
    else res.writeHead(status, headers);
    return;
  }
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!CONNECTION_HEADERS.has(k.toLowerCase())) own[k] = v;
  res.writeHead(status, own);
}

/** A coded JSON error, the same shape as every other HTTP edge. */
export function sendError(res: Response, e: unknown): void {
  const payload = toErrorPayload(e);
  if (res.headersSent) return void res.end();
  writeHead(res, httpStatusOf[payload.code], { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: payload }));
}

export interface HttpOptions {
  ops: OpsOptions;
  /** `METHOD /path` → handler. */
  routes: Record<string, Route>;
  corsOrigins: string[];
  listener: Listener;
}

/** The gateway's listening server and how to close it with its open connections. */
export interface GatewayServer {
  readonly server: net.Server;
  /** Stops accepting; HTTP/2 sessions get GOAWAY, HTTP/1.1 connections are ended once their responses are. */
  close(): Promise<void>;
}

const CORS_HEADERS = 'authorization, content-type, last-event-id, x-graphql-event-stream-token, x-correlation-id';

/** Adds CORS headers for an allowed origin; answers preflights. Returns true when the request is fully answered. */
function cors(req: Request, res: Response, origins: string[]): boolean {
  const origin = req.headers.origin;
  if (origin && (origins.includes('*') || origins.includes(origin))) {
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('vary', 'origin');
  }
  if (req.method !== 'OPTIONS') return false;
  writeHead(res, 204, {
    'access-control-allow-methods': 'GET, POST, PUT, DELETE',
    'access-control-allow-headers': CORS_HEADERS,
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}

/** The first bytes of every HTTP/2 connection (RFC 9113 §3.4); an HTTP/1.1 request line never starts so. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

/**
 * The gateway's one server: ops endpoints, the stream endpoints and (in development) the live page, over
 * HTTP/1.1 (default), TLS with HTTP/2 and HTTP/1.1 by ALPN, or cleartext HTTP/2 by prior knowledge beside
 * HTTP/1.1 (told apart by the connection preface, so health probes and curl keep working on the same port).
 */
export function createHttpServer(opts: HttpOptions): GatewayServer {
  const handle = (req: Request, res: Response) => {
    // The ops helpers use only url, method, writeHead(status, headers) and end, which the compat API has too.
    if (handleOps(opts.ops, req as http.IncomingMessage, res as http.ServerResponse)) return;
    if (cors(req, res, opts.corsOrigins)) return;
    const url = new URL(req.url ?? '/', 'http://gateway');
    const route = opts.routes[`${req.method} ${url.pathname}`];
    if (!route) return sendError(res, new AppError(ErrorCode.NOT_FOUND, `no route ${req.method} ${url.pathname}`));
    Promise.resolve(route(req, res, url)).catch((e: unknown) => sendError(res, e));
  };
  const { listener } = opts;
  if (listener.kind === 'http1') return http1Server(http.createServer(handle));
  if (listener.kind === 'tls' && !listener.http2)
    return http1Server(https.createServer({ cert: listener.cert, key: listener.key }, handle));

  const h2 =
    listener.kind === 'tls'
      ? http2.createSecureServer({ cert: listener.cert, key: listener.key, allowHTTP1: true }, handle)
      : http2.createServer(handle);
  const sessions = new Set<http2.Http2Session>();
  h2.on('session', (s: http2.Http2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  // HTTP/1.1 connections beside HTTP/2 are not sessions: kept to end them at shutdown.
  const http1Sockets = new Set<net.Socket>();
  const keep = (socket: net.Socket) => {
    http1Sockets.add(socket);
    socket.once('close', () => http1Sockets.delete(socket));
  };
  const endAll = () => {
    // GOAWAY: the client opens no new streams on the session, which closes once its streams (already ended by
    // the gateway's shutdown) are done.
    for (const s of sessions) s.close();
    for (const socket of http1Sockets) socket.end();
  };

  if (listener.kind === 'tls') {
    h2.on('secureConnection', (socket: tls.TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') keep(socket);
    });
    return {
      server: h2,
      close: () => {
        const closed = new Promise<void>((resolve) => h2.close(() => resolve()));
        endAll();
        return closed;
      },
    };
  }

  // h2c beside HTTP/1.1: a plain TCP server hands each connection to the server whose protocol it opens with.
  const h1 = configureHttp1(http.createServer(handle));
  const front = net.createServer((socket) => {
    let seen = Buffer.alloc(0);
    // Until a server owns the connection, its errors and silence are ours (an unhandled socket error would
    // end the process).
    const drop = () => socket.destroy();
    socket.once('error', drop);
    socket.setTimeout(20_000, drop);
    const sniff = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      const h2c = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (h2c && n < H2_PREFACE.length) return;
      socket.off('data', sniff);
      socket.off('error', drop);
      socket.setTimeout(0);
      socket.removeAllListeners('timeout');
      socket.pause();
      socket.unshift(seen);
      if (h2c) {
        // The session takes what is buffered on the next tick (node's http2 core); flowing now would lose it.
        h2.emit('connection', socket);
        return;
      }
      keep(socket);
      h1.emit('connection', socket);
      socket.resume();
    };
    socket.on('data', sniff);
  });
  return {
    server: front,
    close: () => {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      endAll();
      return closed;
    },
  };
}

/** Streams are long-lived: no request timeout, and keep-alive longer than any proxy's idle timer. */
function configureHttp1<S extends http.Server>(server: S): S {
  server.requestTimeout = 0;
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 20_000;
  return server;
}

function http1Server(server: http.Server): GatewayServer {
  configureHttp1(server);
  return { server, close: () => closeHttp1(server) };
}

function closeHttp1(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
