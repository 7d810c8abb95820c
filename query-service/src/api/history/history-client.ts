import {
  AppError,
  ErrorCode,
  type EntitySnapshot,
  type EventAddress,
  type HistoryPage,
  type HistoryReply,
  type HistoryRequest,
  type NatsNames,
  type StoredEvent,
} from '@cm/contracts';
import { readStream, type Nats } from '@cm/platform';

/** What `events` filters by; sequences and times are the stream's. */
export interface EventFilter {
  campaignId: string;
  branchId?: string | null;
  types?: readonly string[] | null;
  entityId?: string | null;
  fromSeq?: number | null;
  toSeq?: number | null;
  fromTime?: string | null;
  toTime?: string | null;
  /** Cursor: the last sequence of the previous page. */
  after?: number | null;
  first: number;
}

export interface EventsPage {
  events: StoredEvent[];
  endCursor: number | null;
  hasNextPage: boolean;
}

/**
 * Bound of the messages one `events` page reads: a sparse type filter over a long campaign answers a shorter page
 * with `hasNextPage` and a cursor past what it read, instead of reading the campaign to its end in one request.
 */
export const MAX_SCAN = 10_000;
/** Bound of the commits one trace reads from the campaign's stream (the command onwards). */
export const MAX_TRACE_SCAN = 100_000;

const decoder = new TextDecoder();

/**
 * The stream as the history queries read it. Entity history and time travel ask the command service, whose
 * deciders fold them (`HistoryRequest`); `events` and `commandTrace` need no fold and read the stream here.
 */
export class HistoryClient {
  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
    private readonly timeoutMs: number,
  ) {}

  entityPage(address: EventAddress, after: number, first: number): Promise<HistoryPage> {
    return this.ask<HistoryPage>({ op: 'history', address, after, first });
  }

  entityAt(address: EventAddress, at: { seq?: number; time?: string }): Promise<EntitySnapshot> {
    return this.ask<EntitySnapshot>({ op: 'at', address, ...at });
  }

  async events(f: EventFilter): Promise<EventsPage> {
    const p = this.names.prefix;
    const filter = `${p}.evt.${f.campaignId}.${f.branchId ?? '*'}.${f.entityId ? `*.${f.entityId}` : '>'}`;
    const types = f.types && f.types.length > 0 ? new Set(f.types) : undefined;
    const fromSeq = Math.max(f.fromSeq ?? 1, (f.after ?? 0) + 1);
    const events: StoredEvent[] = [];
    let scanned = 0;
    let endCursor: number | null = null;
    const range = {
      filter,
      fromSeq,
      ...(f.toSeq != null ? { toSeq: f.toSeq } : {}),
      ...(f.fromTime ? { fromTime: f.fromTime } : {}),
      ...(f.toTime ? { toTime: f.toTime } : {}),
    };
    for await (const c of readStream(this.nats, this.names.eventStream, range)) {
      const matching = c.commit.events.filter((e) => !types || types.has(e.type));
      // A commit is never split across pages: the cursor is its sequence.
      if (matching.length > 0 && events.length >= f.first) return { events, endCursor, hasNextPage: true };
      if (scanned >= MAX_SCAN) return { events, endCursor, hasNextPage: true };
      for (const event of matching) events.push({ seq: c.seq, time: c.time, event });
      scanned += 1;
      endCursor = c.seq;
    }
    return { events, endCursor: events.length > 0 ? endCursor : null, hasNextPage: false };
  }

  /**
   * The events of one correlation (every command a request caused, sagas included) in the campaign, found by
   * reading its stream: by command id, the correlation of that command's first event; then every event that
   * carries the correlation id, from that point on.
   */
  async trace(
    campaignId: string,
    by: { commandId?: string; correlationId?: string },
  ): Promise<{ correlationId: string; events: StoredEvent[] } | undefined> {
    const filter = `${this.names.prefix}.evt.${campaignId}.>`;
    let correlationId = by.correlationId;
    const events: StoredEvent[] = [];
    let scanned = 0;
    for await (const c of readStream(this.nats, this.names.eventStream, { filter })) {
      if (++scanned > MAX_TRACE_SCAN)
        throw new AppError(ErrorCode.QUERY_TOO_COMPLEX, `a trace reads at most ${MAX_TRACE_SCAN} commits`);
      for (const event of c.commit.events) {
        if (correlationId === undefined && event.metadata.commandId === by.commandId)
          correlationId = event.metadata.correlationId;
        if (correlationId !== undefined && event.metadata.correlationId === correlationId)
          events.push({ seq: c.seq, time: c.time, event });
      }
    }
    return correlationId === undefined || events.length === 0 ? undefined : { correlationId, events };
  }

  private async ask<T>(request: HistoryRequest): Promise<T> {
    let data: Uint8Array;
    try {
      data = (
        await this.nats.nc.request(this.names.historySubject, JSON.stringify(request), { timeout: this.timeoutMs })
      ).data;
    } catch (e) {
      throw new AppError(ErrorCode.UNAVAILABLE, 'the command service did not answer the history request', {
        reason: e instanceof Error ? e.message : String(e),
      });
    }
    const reply = JSON.parse(decoder.decode(data)) as HistoryReply<T>;
    if (!reply.ok) throw AppError.from(reply.error);
    return reply.result;
  }
}
