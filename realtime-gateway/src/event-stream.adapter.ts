import { DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { decodeCommit, type AnyEvent, type NatsNames } from '@cm/contracts';
import type { Nats, StreamFollower } from '@cm/platform';

/** One stored commit as the gateway needs it: its sequence, when it was stored, its events. */
export interface StoredCommit {
  seq: number;
  storedAtMs: number;
  events: AnyEvent[];
}

const toStored = (m: JsMsg): StoredCommit => ({
  seq: m.seq,
  storedAtMs: Number(m.timestampNanos / 1_000_000n),
  events: decodeCommit(m.data).events,
});

/** The sequences the stream holds now: `first > last` when it is empty. */
export async function streamBounds(nats: Nats, names: NatsNames): Promise<{ first: number; last: number }> {
  const info = await nats.jsm.streams.info(names.eventStream);
  return { first: info.state.first_seq, last: info.state.last_seq };
}

/**
 * Reads the commits on `filter` with `fromSeq <= seq <= uptoSeq`, in order, through an ordered consumer (one
 * filter subject: NATS 2.9). Stops at `uptoSeq` or at the last matching message the stream holds.
 */
export async function* readCommits(
  nats: Nats,
  names: NatsNames,
  filter: string,
  fromSeq: number,
  uptoSeq: number,
): AsyncGenerator<StoredCommit> {
  fromSeq = Math.max(1, fromSeq);
  if (uptoSeq < fromSeq) return;
  // An ordered consumer waits forever for a first message that does not exist; ask the stream first.
  const first = await nats.jsm.direct.getMessage(names.eventStream, { seq: fromSeq, next_by_subj: filter });
  if (!first || first.seq > uptoSeq) return;
  const consumer = await nats.js.consumers.get(names.eventStream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: first.seq,
  });
  const messages = await consumer.consume({ max_messages: 500 });
  try {
    for await (const m of messages) {
      if (m.seq > uptoSeq) break;
      yield toStored(m);
      if (m.seq === uptoSeq || m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
}

/**
 * The gateway's one live consumer: ordered, ephemeral, from `afterSeq + 1`, over every event. Each gateway
 * process has its own, so processes share nothing and any of them can serve any client. `follower` (platform)
 * opens it and reports its lag and each commit's dispatch.
 */
export async function followLive(
  follower: StreamFollower,
  afterSeq: number,
  onCommit: (c: StoredCommit) => void,
  onBadCommit: (seq: number, e: unknown) => void,
): Promise<{ stop(): void; done: Promise<void> }> {
  const messages = await follower.open(afterSeq + 1);
  const done = (async () => {
    for await (const m of messages) {
      const started = performance.now();
      try {
        const commit = toStored(m);
        onCommit(commit);
        follower.applied(commit.events.length, started);
      } catch (e) {
        onBadCommit(m.seq, e);
      }
    }
  })();
  return { stop: () => void messages.stop(), done };
}
