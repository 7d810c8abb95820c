import type { RealtimeReason } from '@cm/contracts';
import { BoundedQueue } from './core/bounded-queue.js';
import { noticeFrame, updateFrame } from './core/sse-frames.js';
import type { Delivery, Sink } from './core/subscriber.js';
import type { Update } from './core/update.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import { isGone, write, type Response } from './http-server.js';

/**
 * A plain-SSE response as a subscriber's sink. Frames go straight to the socket while it takes them; once
 * Node's buffer is past its high-water mark they wait in a bounded queue until `drain`, and past the bound
 * the subscriber is cut off.
 */
export class SseSink implements Sink {
  private readonly queue: BoundedQueue<Buffer>;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly res: Response,
    bounds: { maxBytes: number; maxMessages: number },
    private readonly metrics: GatewayMetrics,
  ) {
    this.queue = new BoundedQueue(bounds.maxBytes, bounds.maxMessages);
    res.on('drain', () => this.drain());
  }

  send(batch: Delivery[]): boolean {
    for (const d of batch) if (!this.write(updateFrame(d.update, d.withId))) return false;
    return true;
  }

  sendOne(update: Update): boolean {
    return this.write(updateFrame(update, true));
  }

  /** Writes or queues one frame; false when the queue is past its bound. */
  write(frame: Buffer): boolean {
    if (isGone(this.res) || this.res.writableEnded) return true;
    if (this.queue.length > 0 && !this.backedUp()) this.drain();
    if (this.queue.length > 0 || this.backedUp()) return this.queue.push(frame, frame.length);
    this.put(frame);
    return true;
  }

  notice(event: RealtimeReason, data: Record<string, unknown>, id?: number): void {
    if (!this.res.writableEnded) this.put(noticeFrame(event, data, id));
  }

  writable(): Promise<void> {
    if (this.queue.length === 0 && !this.backedUp()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(reason: RealtimeReason | 'CLIENT_GONE', message: string): void {
    this.queue.takeAll();
    this.wake();
    if (this.res.writableEnded) return;
    if (reason !== 'CLIENT_GONE') write(this.res, noticeFrame(reason, { code: reason, message }));
    this.res.end();
    // A client that does not read would hold its socket (and what is buffered for it) forever.
    setTimeout(() => this.res.destroy(), 2_000).unref();
  }

  /**
   * Node's own buffer past its high-water mark: the kernel (HTTP/1.1) or the stream's flow-control window
   * (HTTP/2) is not taking more. (Measured by length rather than `writableNeedDrain`, which stayed false with
   * megabytes buffered once writes had been corked.)
   */
  private backedUp(): boolean {
    return this.res.writableLength >= this.res.writableHighWaterMark;
  }

  private put(frame: Buffer): void {
    write(this.res, frame);
    this.metrics.tally.messages += 1;
    this.metrics.tally.bytes += frame.length;
  }

  private drain(): void {
    const pending = this.queue.takeAll();
    let i = 0;
    for (; i < pending.length && !this.backedUp(); i++) this.put(pending[i]!);
    for (; i < pending.length; i++) this.queue.push(pending[i]!, pending[i]!.length);
    if (this.queue.length === 0 && !this.backedUp()) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
