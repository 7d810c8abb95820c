import type http from 'node:http';
import { AppError, ErrorCode, httpStatusOf, toErrorPayload } from '@cm/contracts';
import { authenticate, tokenOf } from './auth.js';
import { HEARTBEAT, streamPreamble } from './core/sse-frames.js';
import type { Gateway } from './gateway.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import { parseEventsRequest } from './sse-request.js';
import { SseSink } from './sse.sink.js';

export interface SseOptions {
  jwtSecret: string;
  maxQueueBytes: number;
  maxQueueMessages: number;
  heartbeatMs: number;
  retryMs: number;
}

/** Proxy-safe stream headers: no caching, no buffering in nginx, no compression (it would hold frames back). */
export const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'content-encoding': 'identity',
  connection: 'keep-alive',
} as const;

/** A coded JSON error, the same shape as every other HTTP edge. */
export function sendError(res: http.ServerResponse, e: unknown): void {
  const payload = toErrorPayload(e);
  if (res.headersSent) return void res.end();
  res.writeHead(httpStatusOf[payload.code], { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: payload }));
}

/** `GET /events`: plain SSE for EventSource. */
export function createSseHandler(gateway: Gateway, opts: SseOptions, metrics: GatewayMetrics) {
  const open = new Set<SseSink>();
  const heartbeat = setInterval(() => {
    for (const sink of open) sink.write(HEARTBEAT);
  }, opts.heartbeatMs);
  heartbeat.unref();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> => {
    try {
      const caller = await authenticate(opts.jwtSecret, tokenOf(req, url, true));
      const last = req.headers['last-event-id'];
      const parsed = parseEventsRequest(url, Array.isArray(last) ? last[0] : last, gateway.names);
      let sink!: SseSink;
      const sub = await gateway.open({ ...parsed, userId: caller.userId, expiresAtMs: caller.expiresAtMs }, () => {
        // The stream ends only with the connection, so it needs no chunked framing: each frame is one socket
        // write instead of three (length, frame, CRLF), which counts at 10,000 subscribers per event.
        res.useChunkedEncodingByDefault = false;
        res.writeHead(200, { ...STREAM_HEADERS, connection: 'close' });
        res.write(streamPreamble(opts.retryMs));
        return (sink = new SseSink(res, { maxBytes: opts.maxQueueBytes, maxMessages: opts.maxQueueMessages }, metrics));
      });
      open.add(sink);
      metrics.clients.inc({ transport: 'sse' });
      if (res.destroyed) sub.close('CLIENT_GONE', 'client went away');
      res.on('close', () => {
        open.delete(sink);
        metrics.clients.dec({ transport: 'sse' });
        sub.close('CLIENT_GONE', 'client went away');
      });
    } catch (e) {
      const code = e instanceof AppError ? e.code : ErrorCode.INTERNAL;
      metrics.refused.inc({ code });
      if (res.headersSent) {
        res.end(`event: error\ndata: ${JSON.stringify({ error: toErrorPayload(e) })}\n\n`);
        return;
      }
      sendError(res, e);
    }
  };
  return { handle, stop: () => clearInterval(heartbeat) };
}
