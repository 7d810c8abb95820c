import type { RealtimeReason } from '@cm/contracts';
import type { Recipient } from './rooms.js';
import { mergeUpdates, type Update } from './update.js';

/** One batch for the wire: `withId` false means "write no `id:` line" (only inside a coalesced window). */
export interface Delivery {
  update: Update;
  withId: boolean;
}

/** Where a subscriber's deliveries go: a plain-SSE response, or a graphql-sse operation. */
export interface Sink {
  /** Writes one batch; false when the connection's bounded queue overflowed. */
  send(batch: Delivery[]): boolean;
  /** The common case (no coalescing, one event): the same without allocating a batch. */
  sendOne?(update: Update): boolean;
  /** Ends the stream, telling the client why. */
  close(reason: RealtimeReason | 'CLIENT_GONE', message: string): void;
  /** Tells the client something without ending the stream (`RESUME_TOO_OLD`); `id` moves its last seq. */
  notice?(event: RealtimeReason, data: Record<string, unknown>, id?: number): void;
  /** Resolves once the connection has room again (replay waits on it). */
  writable?(): Promise<void>;
}

export interface SubscriberOptions {
  userId: string;
  room: string;
  campaignId: string | undefined;
  types: ReadonlySet<string> | undefined;
  /** Coalesce within the gateway's window, or deliver every event as it comes. */
  coalesce: boolean;
  /** Sequence the client has seen; nothing at or below it is delivered. */
  resumeAfter: number | undefined;
  /** Bound on live events held while the missed ones are replayed. */
  maxHeld: number;
}

const SLOW_MESSAGE = 'the connection fell behind past its queue bound; reconnect with the last seq to resume';

export type SubscriberState = 'replaying' | 'live' | 'closed';

/**
 * One subscription's delivery logic, transport-free: the hand-over from replay to live by sequence, the
 * coalescing window (latest state per entity), and closing with a reason.
 *
 * Hand-over: the subscriber joins its room when the live feed has dispatched everything up to `H`; the replay
 * reads the stream over `(resumeAfter, H]` while live events (all `> H`) are held, then the held ones follow.
 * The two ranges are disjoint, so there is no gap and no duplicate.
 */
export class Subscriber implements Recipient {
  readonly userId: string;
  readonly room: string;
  readonly campaignId: string | undefined;
  readonly types: ReadonlySet<string> | undefined;
  readonly coalesce: boolean;
  state: SubscriberState;
  closedReason: string | undefined;
  /** Highest seq handed to the sink. */
  lastSeq: number;
  private held: Update[] = [];
  private window = new Map<string, Update>();
  private readonly floor: number;

  constructor(
    private readonly opts: SubscriberOptions,
    private readonly sink: Sink,
    private readonly hooks: {
      onDirty(s: Subscriber): void;
      onClose(s: Subscriber, reason: string): void;
      onCoalesced?(): void;
    },
  ) {
    this.userId = opts.userId;
    this.room = opts.room;
    this.campaignId = opts.campaignId;
    this.types = opts.types;
    this.coalesce = opts.coalesce;
    this.floor = opts.resumeAfter ?? 0;
    this.lastSeq = this.floor;
    this.state = opts.resumeAfter === undefined ? 'live' : 'replaying';
  }

  /** A live update routed to this subscriber. */
  offer(update: Update): void {
    if (this.state === 'closed' || update.payload.seq <= this.floor) return;
    if (this.state === 'replaying') {
      this.held.push(update);
      if (this.held.length > this.opts.maxHeld)
        this.close('SLOW_CONSUMER', 'too many live events arrived while replaying');
      return;
    }
    if (!this.coalesce && this.sink.sendOne) {
      if (this.sink.sendOne(update)) this.lastSeq = update.payload.seq;
      else this.close('SLOW_CONSUMER', SLOW_MESSAGE);
      return;
    }
    this.deliver([update]);
  }

  /** Replayed updates of one stored commit, in stream order. */
  replay(updates: Update[]): void {
    if (this.state !== 'replaying') return;
    const fresh = updates.filter((u) => u.payload.seq > this.floor);
    if (fresh.length) this.deliver(fresh);
  }

  /** The replay reached the hand-over sequence: deliver what was held, then follow live. */
  goLive(): void {
    if (this.state !== 'replaying') return;
    this.state = 'live';
    const held = this.held;
    this.held = [];
    if (held.length) this.deliver(held);
  }

  /** Writes the coalescing window, in order of the last sequence each entry covers. */
  flush(): void {
    if (this.state === 'closed' || this.window.size === 0) return;
    const batch = [...this.window.values()].sort((a, b) => a.payload.seq - b.payload.seq);
    this.window.clear();
    // Only the window's last message names a sequence: a client that loses the connection mid-window resumes
    // from the previous window's end, so a coalesced entity never hides an event of another.
    this.send(batch.map((update, i) => ({ update, withId: i === batch.length - 1 })));
  }

  close(reason: RealtimeReason | 'CLIENT_GONE', message: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedReason = reason;
    this.held = [];
    this.window.clear();
    this.sink.close(reason, message);
    this.hooks.onClose(this, reason);
  }

  private deliver(updates: Update[]): void {
    if (!this.coalesce) {
      this.send(updates.map((update) => ({ update, withId: true })));
      return;
    }
    for (const u of updates) {
      const prev = this.window.get(u.entityKey);
      if (prev) this.hooks.onCoalesced?.();
      this.window.set(u.entityKey, prev ? mergeUpdates(prev, u) : u);
    }
    this.hooks.onDirty(this);
  }

  private send(batch: Delivery[]): void {
    const last = batch[batch.length - 1];
    if (!last) return;
    if (!this.sink.send(batch)) {
      this.close('SLOW_CONSUMER', SLOW_MESSAGE);
      return;
    }
    this.lastSeq = Math.max(this.lastSeq, last.update.payload.seq);
  }
}
