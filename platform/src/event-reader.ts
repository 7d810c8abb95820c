import { DeliverPolicy } from '@nats-io/jetstream';
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
 * Reads the event stream through an ordered consumer (ephemeral, flow-controlled, recreated by the client on a
 * gap), lazily: the caller stops when it has enough. A bounded read (not `follow`) first asks by direct get
 * whether anything matches, because an ordered consumer waits forever for a first message that does not exist.
 * A followed read from a time uses the consumer's `opt_start_time`; a bounded one finds the first sequence at
 * that time by bisecting the stream's timestamps, so that the existence check can ask from there.
 */
export async function* readStream(nats: Nats, stream: string, range: StreamRange): AsyncGenerator<StreamCommit> {
  const toTime = range.toTime === undefined ? Number.POSITIVE_INFINITY : Date.parse(range.toTime);
  const toSeq = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  let start: { deliver_policy: DeliverPolicy; opt_start_seq?: number; opt_start_time?: string };
  if (range.follow) {
    start =
      range.fromTime !== undefined
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(range.fromTime).toISOString() }
        : range.fromSeq !== undefined
          ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, range.fromSeq) }
          : { deliver_policy: DeliverPolicy.New };
  } else {
    let fromSeq = Math.max(1, range.fromSeq ?? 1);
    if (range.fromTime !== undefined)
      fromSeq = Math.max(fromSeq, await firstSeqAtOrAfter(nats, stream, Date.parse(range.fromTime)));
    const first = await nats.jsm.direct.getMessage(stream, { seq: fromSeq, next_by_subj: range.filter });
    if (!first || first.seq > toSeq || first.time.getTime() > toTime) return;
    start = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first.seq };
  }
  const consumer = await nats.js.consumers.get(stream, { filter_subjects: range.filter, ...start });
  const messages = await consumer.consume({ max_messages: Math.max(1, Math.min(500, range.batch ?? 500)) });
  const iterator = messages[Symbol.asyncIterator]();
  let lastSeq = (start.opt_start_seq ?? 1) - 1;
  // One `next()` in flight at a time: an idle check keeps waiting on the same promise, so no message is lost.
  let pending = iterator.next();
  try {
    for (;;) {
      const next = range.follow ? await pending : await orIdle(pending);
      if (next === IDLE) {
        // A bounded read that heard nothing for a while: end if nothing is left, else keep waiting (the ordered
        // consumer is being recreated, which a loaded server can take seconds to do).
        const rest = await nats.jsm.direct.getMessage(stream, { seq: lastSeq + 1, next_by_subj: range.filter });
        if (!rest || rest.seq > toSeq || rest.time.getTime() > toTime) return;
        continue;
      }
      if (next.done) return;
      pending = iterator.next();
      const m = next.value;
      if (m.seq > toSeq || m.time.getTime() > toTime) return;
      lastSeq = m.seq;
      yield { seq: m.seq, time: m.time.toISOString(), subject: m.subject, commit: decodeCommit(m.data) };
      if (!range.follow && (m.seq === toSeq || m.info.pending === 0)) return;
    }
  } finally {
    messages.stop();
    pending.catch(() => undefined);
  }
}

const IDLE = Symbol('idle');
/** How long a bounded read waits for its next message before it asks the stream whether one is left. */
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
