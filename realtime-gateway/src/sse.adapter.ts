import { AppError, ErrorCode, toErrorPayload } from '@cm/contracts';
import { authenticate, tokenOf } from './auth.js';
import { HEARTBEAT, streamPreamble } from './core/sse-frames.js';
import type { Gateway } from './gateway.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import { isGone, isHttp2, sendError, write, writeHead, type Request, type Response } from './http-server.js';
import { parseEventsRequest } from './sse-request.js';
import { SseSink } from './sse.sink.js';

export interface SseOptions {
  jwtSecret: string;
  maxQueueBytes: number;
  maxQueueMessages: number;
  heartbeatMs: number;
  retryMs: number;
}

/**
 * Proxy-safe stream headers: no caching, no buffering in nginx, no compression (it would hold frames back).
 * (`Connection` is HTTP/1.1's alone: `writeHead` leaves it out on HTTP/2.)
 */
export const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  'content-encoding': 'identity',
  connection: 'keep-alive',
} as const;

/** `GET /events`: plain SSE for EventSource. */
export function createSseHandler(gateway: Gateway, opts: SseOptions, metrics: GatewayMetrics) {
  const open = new Set<SseSink>();
  const heartbeat = setInterval(() => {
    for (const sink of open) sink.write(HEARTBEAT);
  }, opts.heartbeatMs);
  heartbeat.unref();

  const handle = async (req: Request, res: Response, url: URL): Promise<void> => {
    try {
      const caller = await authenticate(opts.jwtSecret, tokenOf(req, url, true));
      const last = req.headers['last-event-id'];
      const parsed = parseEventsRequest(url, Array.isArray(last) ? last[0] : last, gateway.names);
      let sink!: SseSink;
      const sub = await gateway.open({ ...parsed, userId: caller.userId, expiresAtMs: caller.expiresAtMs }, () => {
        // On HTTP/1.1 the stream ends only with the connection, so it needs no chunked framing: each frame is one
        // socket write instead of three (length, frame, CRLF), which counts at 10,000 subscribers per event.
        // HTTP/2 frames the stream itself and ends only the stream.
        if (!isHttp2(res)) res.useChunkedEncodingByDefault = false;
        writeHead(res, 200, { ...STREAM_HEADERS, connection: 'close' });
        write(res, streamPreamble(opts.retryMs));
        return (sink = new SseSink(res, { maxBytes: opts.maxQueueBytes, maxMessages: opts.maxQueueMessages }, metrics));
      });
      open.add(sink);
      metrics.clients.inc({ transport: 'sse' });
      if (isGone(res)) sub.close('CLIENT_GONE', 'client went away');
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
