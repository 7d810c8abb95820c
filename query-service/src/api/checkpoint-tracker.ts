import { AppError, ErrorCode } from '@cm/contracts';
import type { Logger, NatsConnection, ReadinessCheck } from '@cm/platform';
import type { Msg, Subscription } from '@nats-io/transport-node';

export interface CheckpointTrackerOptions {
  nc: NatsConnection;
  /** `names.checkpointSubject(projection)`: the projector announces `{ projection, seq }` here per batch. */
  subject: string;
  projection: string;
  /** The checkpoint the read model has committed: the seed, and the fallback for a lost announcement. */
  readCheckpoint: () => Promise<number>;
  /**
   * The event stream's last sequence. A `minSeq` beyond it was never issued by this system, so waiting for
   * it is pointless; without this, such a read waits out its whole timeout.
   */
  streamHead?: () => Promise<number>;
  logger: Logger;
  /** How often to re-read the committed checkpoint while someone waits (announcements are at most once). */
  pollMs?: number;
}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const decoder = new TextDecoder();

/**
 * Knows how far a projection has applied the event stream, so that a read can wait for its own write.
 * Announcements arrive over core NATS (cheap, but may be lost); the committed checkpoint in the read model
 * is the truth, read at start and polled while anyone is waiting.
 */
export class CheckpointTracker {
  private applied = 0;
  /** Highest stream head seen: the stream never shrinks (no deletes, no purges), so anything up to it was issued. */
  private headSeen = 0;
  private seeded = false;
  private sub: Subscription | undefined;
  private readonly waiters = new Set<Waiter>();
  private poll: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private readonly pollMs: number;

  constructor(private readonly opts: CheckpointTrackerOptions) {
    this.pollMs = opts.pollMs ?? 250;
  }

  /** The highest stream sequence the projection is known to have applied. */
  get appliedSeq(): number {
    return this.applied;
  }

  /** Subscribes, then seeds: in that order no announcement made in between is missed. */
  async start(): Promise<void> {
    this.sub = this.opts.nc.subscribe(this.opts.subject, {
      callback: (err, msg) => {
        if (err) this.opts.logger.warn({ err, subject: this.opts.subject }, 'checkpoint subscription error');
        else this.onAnnouncement(msg);
      },
    });
    await this.opts.nc.flush();
    await this.reseed();
  }

  /**
   * Resolves once the projection has applied `seq`; throws `STALE_READ` after `timeoutMs`, or at once when
   * `verifyIssued` is set and `seq` lies beyond the end of the stream.
   */
  async waitFor(
    seq: number,
    timeoutMs: number,
    { verifyIssued = false, signal }: { verifyIssued?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (seq <= this.applied) return;
    if (verifyIssued && this.opts.streamHead && seq > this.headSeen) {
      const head = await this.opts.streamHead().catch(() => undefined);
      if (head !== undefined) this.headSeen = Math.max(this.headSeen, head);
      if (head !== undefined && seq > head) {
        throw new AppError(ErrorCode.STALE_READ, `sequence ${seq} has not been written (the stream ends at ${head})`, {
          minSeq: seq,
          appliedSeq: this.applied,
          headSeq: head,
        });
      }
      if (seq <= this.applied) return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(
            new AppError(
              ErrorCode.STALE_READ,
              `the read model has not reached sequence ${seq} within ${timeoutMs} ms`,
              { minSeq: seq, appliedSeq: this.applied },
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
      this.poll ??= setInterval(() => void this.reseed(), this.pollMs);
      // Another model answered first (see `waitForAny`): stop waiting here, quietly.
      signal?.addEventListener('abort', () => {
        if (!this.waiters.has(waiter)) return;
        this.remove(waiter);
        resolve();
      });
    });
  }

  /**
   * Resolves once any of the trackers' projections has applied `seq` (a read may then be served by whichever
   * model reached it; a model that did not must wait again before it answers); `STALE_READ` from the first
   * tracker when none does within `timeoutMs`.
   */
  static async waitForAny(
    trackers: readonly CheckpointTracker[],
    seq: number,
    timeoutMs: number,
    opts: { verifyIssued?: boolean } = {},
  ): Promise<void> {
    if (trackers.some((t) => seq <= t.applied)) return;
    const done = new AbortController();
    try {
      await Promise.any(trackers.map((t) => t.waitFor(seq, timeoutMs, { ...opts, signal: done.signal })));
    } catch (e) {
      throw (e as AggregateError).errors[0];
    } finally {
      done.abort();
    }
  }

  /** Readiness: subscribed and seeded from the read model (a failed seed is retried here). */
  readonly readiness: ReadinessCheck = {
    name: 'checkpoint',
    check: async () => {
      if (!this.sub || this.sub.isClosed()) throw new Error(`not subscribed to ${this.opts.subject}`);
      if (!this.seeded) await this.reseed();
      if (!this.seeded) throw new Error(`checkpoint of ${this.opts.projection} not read yet`);
      return { projection: this.opts.projection, appliedSeq: this.applied };
    },
  };

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    for (const w of [...this.waiters]) {
      this.remove(w);
      w.reject(new AppError(ErrorCode.UNAVAILABLE, 'shutting down'));
    }
    await this.reading;
  }

  private onAnnouncement(msg: Msg): void {
    try {
      const body = JSON.parse(decoder.decode(msg.data)) as { projection?: unknown; seq?: unknown };
      if (body.projection === this.opts.projection && Number.isSafeInteger(body.seq)) this.advance(body.seq as number);
    } catch {
      this.opts.logger.debug({ subject: msg.subject }, 'ignoring a malformed checkpoint announcement');
    }
  }

  private advance(seq: number): void {
    if (seq <= this.applied) return;
    this.applied = seq;
    for (const w of [...this.waiters]) {
      if (w.seq <= seq) {
        this.remove(w);
        w.resolve();
      }
    }
  }

  private remove(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
    if (this.waiters.size === 0 && this.poll) {
      clearInterval(this.poll);
      this.poll = undefined;
    }
  }

  /** Reads the committed checkpoint; concurrent callers share one read. */
  private reseed(): Promise<void> {
    this.reading ??= this.opts
      .readCheckpoint()
      .then((seq) => {
        this.seeded = true;
        this.advance(seq);
      })
      .catch((err: unknown) =>
        this.opts.logger.warn({ err, projection: this.opts.projection }, 'could not read the projection checkpoint'),
      )
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
