import type { Update } from './update.js';
import { encodedOnce } from './update.js';

/**
 * Plain-SSE framing. Updates are unnamed messages (`EventSource.onmessage`), each with `id: <seq>` so the
 * browser sends it back as `Last-Event-ID`; out-of-band notices are named events (`event: RESUME_TOO_OLD` ...).
 */

/** The update's frame, encoded once per event and shared by every subscriber of every room. */
export function updateFrame(update: Update, withId: boolean): Buffer {
  const body = encodedOnce(update, 'sse-body', () => `data: ${JSON.stringify(update.payload)}\n\n`);
  return withId
    ? encodedOnce(update, 'sse', () => Buffer.from(`id: ${update.payload.seq}\n${body}`))
    : encodedOnce(update, 'sse-noid', () => Buffer.from(body));
}

/** A named notice; with `id`, the client's Last-Event-ID moves to it. */
export function noticeFrame(event: string, data: Record<string, unknown>, id?: number): Buffer {
  return Buffer.from(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** The first bytes of a stream: how soon EventSource reconnects, and a comment that flushes proxies. */
export const streamPreamble = (retryMs: number): Buffer => Buffer.from(`retry: ${retryMs}\n:ok\n\n`);

/** A comment line: keeps idle connections (and proxies' idle timers) alive. */
export const HEARTBEAT = Buffer.from(':\n\n');
