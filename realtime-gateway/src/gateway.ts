import { AppError, ErrorCode, RealtimeReason, type NatsNames } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { StoredCommit } from './event-stream.adapter.js';
import type { GatewayMetrics } from './gateway.metrics.js';
import { ConnectionLimits } from './core/limits.js';
import { Membership } from './core/membership.js';
import { accepts, recipientsOf, Rooms } from './core/rooms.js';
import { Subscriber, type Sink } from './core/subscriber.js';
import { makeUpdate, toPayload, type Update } from './core/update.js';

/** Where missed events come from: the stream (an adapter in production and in tests alike). */
export interface History {
  bounds(): Promise<{ first: number; last: number }>;
  read(filter: string, fromSeq: number, uptoSeq: number): AsyncIterable<StoredCommit>;
}

/** What a client asked for, validated by its adapter. */
export interface SubscriptionRequest {
  userId: string;
  room: string;
  /** The campaign the subscription is scoped to; must be a member. Entity rooms without one span campaigns. */
  campaignId: string | undefined;
  types: ReadonlySet<string> | undefined;
  coalesce: boolean;
  resumeAfter: number | undefined;
  /** Subject filter that selects the room's events in the stream, for replay. */
  filter: string;
  /** Token expiry (ms since epoch): the stream ends then. */
  expiresAtMs: number | undefined;
}

export interface GatewayOptions {
  coalesceMs: number;
  maxHeld: number;
  maxConnections: number;
  maxConnectionsPerUser: number;
}

/**
 * The gateway's state and the glue around the pure core: rooms, membership and limits in memory, the live
 * dispatch of each commit, and the replay-then-live hand-over of resuming subscribers.
 */
export class Gateway {
  readonly rooms = new Rooms<Subscriber>();
  readonly membership = new Membership();
  readonly limits: ConnectionLimits;
  /** Everything up to this sequence has been dispatched live. */
  liveSeq = 0;
  private readonly byUser = new Map<string, Set<Subscriber>>();
  private readonly dirty = new Set<Subscriber>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly expiry = new Map<Subscriber, NodeJS.Timeout>();

  constructor(
    readonly names: NatsNames,
    private readonly history: History,
    private readonly opts: GatewayOptions,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {
    this.limits = new ConnectionLimits(opts.maxConnections, opts.maxConnectionsPerUser);
  }

  /** One commit from the live consumer: membership first (a removal applies to the event itself), then fan-out. */
  dispatch(commit: StoredCommit): void {
    let written = false;
    for (const event of commit.events) {
      const change = this.membership.apply(event);
      if (change?.kind === 'removed') this.revoke(change.campaignId, change.userId);
      const update = makeUpdate(toPayload(event, commit.seq), commit.storedAtMs);
      for (const s of recipientsOf(update, this.rooms, this.membership)) {
        s.offer(update);
        written ||= !s.coalesce && s.state === 'live';
      }
    }
    this.liveSeq = commit.seq;
    this.metrics.liveSeq.set(commit.seq);
    if (written) {
      // Node's HTTP/1.1 response corks its socket on a write and uncorks on the next tick, so the frames reach
      // the kernel only then: measured on a tick queued after those, not at the last `write` call.
      process.nextTick(() => {
        const seconds = Math.max(0, Date.now() - commit.storedAtMs) / 1000;
        this.metrics.fanOutLatency.observe(seconds);
        this.metrics.fanOutLast.set(seconds);
      });
    }
  }

  /**
   * Opens a subscription: checks membership and limits, joins the room, and when resuming replays
   * `(resumeAfter, liveSeq]` from the stream before the live events held meanwhile. `makeSink` is called
   * once the request is accepted.
   */
  async open(req: SubscriptionRequest, makeSink: () => Sink): Promise<Subscriber> {
    if (req.campaignId !== undefined && !this.membership.isMember(req.campaignId, req.userId)) {
      throw new AppError(ErrorCode.FORBIDDEN, `not a member of campaign ${req.campaignId}`);
    }
    if (req.expiresAtMs !== undefined && req.expiresAtMs <= Date.now())
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'token expired');
    const slot = this.limits.acquire(req.userId);
    if (slot !== 'ok')
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        slot === 'user' ? 'too many connections for this user' : 'the gateway is at its connection limit',
      );
    // Every refusal is above, before the transport commits to a stream (an HTTP status is still possible).
    const sink = makeSink();

    let resumeAfter = req.resumeAfter;
    let tooOld = false;
    if (resumeAfter !== undefined && resumeAfter < this.liveSeq) {
      const { first, last } = await this.history.bounds();
      // Events after resumeAfter that the stream no longer holds, or a sequence from a stream that was reset.
      tooOld = resumeAfter + 1 < first || resumeAfter > last;
    } else if (resumeAfter !== undefined && resumeAfter > this.liveSeq) {
      const { last } = await this.history.bounds();
      tooOld = resumeAfter > last;
    }
    if (tooOld) resumeAfter = undefined;

    const handover = this.liveSeq;
    const sub = new Subscriber(
      {
        userId: req.userId,
        room: req.room,
        campaignId: req.campaignId,
        types: req.types,
        coalesce: req.coalesce && this.opts.coalesceMs > 0,
        resumeAfter,
        maxHeld: this.opts.maxHeld,
      },
      sink,
      {
        onDirty: (s) => this.markDirty(s),
        onClose: (s, reason) => this.closed(s, reason),
        onCoalesced: () => this.metrics.coalesced.inc(),
      },
    );
    this.rooms.join(sub);
    let users = this.byUser.get(req.userId);
    if (!users) this.byUser.set(req.userId, (users = new Set()));
    users.add(sub);
    this.metrics.subscriptions.inc();
    this.metrics.rooms.set(this.rooms.size);
    if (req.expiresAtMs !== undefined) {
      const timer = setTimeout(
        () => sub.close(RealtimeReason.TOKEN_EXPIRED, 'the token expired; reconnect with a fresh one'),
        req.expiresAtMs - Date.now(),
      );
      this.expiry.set(sub, timer);
    }
    if (tooOld) {
      this.metrics.resumes.inc({ outcome: 'too_old' });
      sink.notice?.(
        RealtimeReason.RESUME_TOO_OLD,
        { message: 'the stream no longer holds events after that sequence; reload, then follow live', seq: handover },
        handover,
      );
    } else if (resumeAfter !== undefined && resumeAfter < handover) {
      this.metrics.resumes.inc({ outcome: 'replayed' });
      void this.replay(sub, req.filter, resumeAfter, handover, sink);
    } else {
      if (resumeAfter !== undefined) this.metrics.resumes.inc({ outcome: 'up_to_date' });
      sub.goLive();
    }
    return sub;
  }

  private async replay(sub: Subscriber, filter: string, after: number, upto: number, sink: Sink): Promise<void> {
    try {
      for await (const commit of this.history.read(filter, after + 1, upto)) {
        if (sub.state !== 'replaying') return;
        const updates: Update[] = [];
        for (const event of commit.events) {
          const update = makeUpdate(toPayload(event, commit.seq), commit.storedAtMs);
          if (accepts(sub, update.payload, this.membership)) updates.push(update);
        }
        sub.replay(updates);
        // Replay no faster than the client reads: the queue bound is for slow clients, not for history.
        if (sink.writable) await sink.writable();
      }
      sub.goLive();
    } catch (e) {
      this.logger.warn({ err: e }, 'replay failed');
      sub.close(RealtimeReason.SHUTTING_DOWN, 'could not read the missed events; reconnect to resume');
    }
  }

  /** A member removed from a campaign stops receiving its events with that event. */
  private revoke(campaignId: string, userId: string): void {
    for (const s of [...(this.byUser.get(userId) ?? [])]) {
      if (s.campaignId === campaignId)
        s.close(RealtimeReason.MEMBERSHIP_REVOKED, `removed from campaign ${campaignId}`);
    }
  }

  private markDirty(s: Subscriber): void {
    this.dirty.add(s);
    this.flushTimer ??= setTimeout(() => this.flushAll(), this.opts.coalesceMs);
  }

  private flushAll(): void {
    this.flushTimer = undefined;
    const subs = [...this.dirty];
    this.dirty.clear();
    for (const s of subs) s.flush();
  }

  private closed(s: Subscriber, reason: string): void {
    this.rooms.leave(s);
    this.dirty.delete(s);
    const users = this.byUser.get(s.userId);
    users?.delete(s);
    if (users?.size === 0) this.byUser.delete(s.userId);
    clearTimeout(this.expiry.get(s));
    this.expiry.delete(s);
    this.limits.release(s.userId);
    this.metrics.subscriptions.dec();
    this.metrics.rooms.set(this.rooms.size);
    if (reason !== 'CLIENT_GONE') this.metrics.dropped.inc({ reason });
  }

  /** Ends every stream (shutdown): clients reconnect elsewhere with their last seq. */
  closeAll(): void {
    for (const users of [...this.byUser.values()])
      for (const s of [...users])
        s.close(RealtimeReason.SHUTTING_DOWN, 'the gateway is shutting down; reconnect with the last seq');
    clearTimeout(this.flushTimer);
  }
}
