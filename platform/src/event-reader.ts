import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { createInbox } from '@nats-io/transport-node';
import { decodeCommit, type Commit } from '@cm/contracts';
import type { Nats } from './nats.js';

/** A commit as the stream holds it: position, timestamp and subject. */
export interface StreamCommit {
  seq: number;
  /** The stream's timestamp (ISO-8601). */
  time: string;
  subject: string;
  commit: Commit;
}

/** A range of the event stream on one subject filter (server 2.9: one filter per consumer). */
export interface StreamRange {
  filter: string;
  /** First sequence (inclusive). */
  fromSeq?: number;
  /** Earliest stream time (ISO-8601, inclusive). */
  fromTime?: string;
  /** Last sequence (inclusive). */
  toSeq?: number;
  /** Latest stream time (ISO-8601, inclusive). */
  toTime?: string;
  /** Keep following as commits are written (a tail); otherwise stop at the stream's last message. */
  follow?: boolean;
  /** Messages the consumer asks for at a time (default 500): a reader that needs a page of 20 asks for 21. */
  batch?: number;
}

/**
 * Reads the event stream lazily: the caller stops when it has enough. A followed read (a tail) goes through an
 * ordered consumer (ephemeral, flow-controlled, recreated by the client on a gap). A bounded read (not `follow`)
 * goes through `readBounded`, one round trip for a page. A bounded read from a time finds the first sequence at
 * that time by bisecting the stream's timestamps.
 */
export async function* readStream(nats: Nats, stream: string, range: StreamRange): AsyncGenerator<StreamCommit> {
  const toTime = range.toTime === undefined ? Number.POSITIVE_INFINITY : Date.parse(range.toTime);
  const toSeq = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  if (!range.follow) {
    let fromSeq = Math.max(1, range.fromSeq ?? 1);
    if (range.fromTime !== undefined)
      fromSeq = Math.max(fromSeq, await firstSeqAtOrAfter(nats, stream, Date.parse(range.fromTime)));
    for await (const m of readBounded(nats, stream, range.filter, fromSeq, range.batch ?? MAX_BATCH)) {
      if (m.seq > toSeq || m.time.getTime() > toTime) return;
      yield { seq: m.seq, time: m.time.toISOString(), subject: m.subject, commit: decodeCommit(m.data) };
      if (m.seq === toSeq) return;
    }
    return;
  }
  const start =
    range.fromTime !== undefined
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(range.fromTime).toISOString() }
      : range.fromSeq !== undefined
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, range.fromSeq) }
        : { deliver_policy: DeliverPolicy.New };
  const consumer = await nats.js.consumers.get(stream, { filter_subjects: range.filter, ...start });
  const messages = await consumer.consume({ max_messages: Math.max(1, Math.min(MAX_BATCH, range.batch ?? MAX_BATCH)) });
  try {
    for await (const m of messages) {
      if (m.seq > toSeq || m.time.getTime() > toTime) return;
      yield { seq: m.seq, time: m.time.toISOString(), subject: m.subject, commit: decodeCommit(m.data) };
    }
  } finally {
    messages.stop();
  }
}

const MAX_BATCH = 500;

/** One message of a bounded read: what the consumer's ack subject says about it, and its payload. */
interface BoundedMessage {
  seq: number;
  time: Date;
  subject: string;
  data: Uint8Array;
}

/**
 * A bounded read of one subject filter from `fromSeq` to the last message there when it starts, in one round
 * trip for a page. An ordered consumer costs four (a direct get to see whether anything is there, a stream info,
 * the consumer's creation, the pull) and stays on the server for its five-minute inactive threshold after every
 * read. Here the reader subscribes to an inbox and creates an ephemeral push consumer delivering to it, so the
 * server sends the first batch as it creates the consumer, and the creation's reply says how many messages match
 * (`num_pending`): the read ends when it has them, never waiting for one that does not exist. `AckPolicy.All`
 * with `max_ack_pending` = `batch` paces the server: a reader that needs `batch` messages gets that many, and the
 * ack of a batch's last message, sent when the caller asks for more, releases the next batch. A gap in the
 * consumer's delivery sequence, or a silence, restarts the read after the last message taken. The consumer is
 * deleted when the read ends (not awaited; its short inactive threshold removes it if the delete is lost).
 */
async function* readBounded(
  nats: Nats,
  stream: string,
  filter: string,
  fromSeq: number,
  batch: number,
): AsyncGenerator<BoundedMessage> {
  const window = Math.max(1, Math.min(MAX_BATCH, batch));
  let next = fromSeq;
  for (let attempt = 0; ; attempt += 1) {
    if (attempt > MAX_RESTARTS) throw new Error(`read of ${filter} in ${stream} restarted ${MAX_RESTARTS} times`);
    const inbox = createInbox();
    const sub = nats.nc.subscribe(inbox);
    let name: string | undefined;
    try {
      const created = await nats.jsm.consumers.add(stream, {
        deliver_subject: inbox,
        filter_subject: filter,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: next,
        ack_policy: AckPolicy.All,
        max_ack_pending: window,
        max_deliver: 1,
        ack_wait: nanos(ACK_WAIT_MS),
        inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
        mem_storage: true,
        num_replicas: 1,
      });
      name = created.name;
      const messages = sub[Symbol.asyncIterator]();
      let remaining = created.num_pending;
      let delivered = 0;
      while (remaining > 0) {
        const r = await orIdle(messages.next());
        if (r === IDLE || r.done) break;
        const m = r.value;
        const at = m.reply ? ackSubjectInfo(m.reply) : undefined;
        if (!at) continue;
        if (at.deliverySeq !== delivered + 1) break;
        delivered += 1;
        remaining -= 1;
        next = at.streamSeq + 1;
        yield { seq: at.streamSeq, time: at.time, subject: m.subject, data: m.data };
        if (delivered % window === 0 && remaining > 0) m.respond(ACK);
      }
      if (remaining === 0) return;
    } finally {
      sub.unsubscribe();
      if (name) nats.jsm.consumers.delete(stream, name).catch(() => undefined);
    }
  }
}

const ACK = new TextEncoder().encode('+ACK');
const MAX_RESTARTS = 5;
/** Longer than any caller takes between two batches; acks are only for pacing (`max_deliver` is 1). */
const ACK_WAIT_MS = 60_000;
const INACTIVE_THRESHOLD_MS = 10_000;
const nanos = (ms: number) => ms * 1_000_000;

/**
 * Stream and delivery sequence and time from a push consumer's ack subject:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<streamSeq>.<deliverySeq>.<nanos>.<pending>` (server 2.9), or the
 * 2.10+ form with domain and account hash after `$JS.ACK` and a random token at the end.
 */
function ackSubjectInfo(reply: string): { streamSeq: number; deliverySeq: number; time: Date } | undefined {
  const t = reply.split('.');
  if (t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const at = t.length === 9 ? 5 : t.length >= 12 ? 7 : -1;
  if (at < 0) return undefined;
  return {
    streamSeq: Number(t[at]),
    deliverySeq: Number(t[at + 1]),
    time: new Date(Math.floor(Number(t[at + 2]) / 1_000_000)),
  };
}

const IDLE = Symbol('idle');
/** How long a bounded read waits for its next message before it starts again after the last one it took. */
const IDLE_CHECK_MS = 2_000;

function orIdle<T>(next: Promise<IteratorResult<T>>): Promise<IteratorResult<T> | typeof IDLE> {
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<typeof IDLE>((resolve) => (timer = setTimeout(() => resolve(IDLE), IDLE_CHECK_MS)));
  return Promise.race([next, idle]).finally(() => clearTimeout(timer));
}

/** The first stream sequence stored at or after `time` (one past the last when none is): timestamps grow with sequences. */
async function firstSeqAtOrAfter(nats: Nats, stream: string, time: number): Promise<number> {
  const { state } = await nats.jsm.streams.info(stream);
  let lo = state.first_seq;
  let hi = state.last_seq + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const m = await nats.jsm.direct.getMessage(stream, { seq: mid, next_by_subj: '>' });
    if (!m || m.time.getTime() >= time) hi = m ? Math.min(mid, m.seq) : mid;
    else lo = m.seq + 1;
  }
  return lo;
}
