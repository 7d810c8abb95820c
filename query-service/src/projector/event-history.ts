import { DeliverPolicy } from '@nats-io/jetstream';
import { decodeCommit, type Commit, type NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import type { SequencedEvent } from './postgres.projection.js';

/** A commit read by the projector, beside the stream sequence it was stored at (as `SequencedEvent` is for one event). */
export interface SequencedCommit {
  seq: number;
  commit: Commit;
}

/** Where the projector re-reads history from: a fork at an earlier sequence needs the parent's state back then. */
export interface EventHistory {
  /** Every event of one campaign (all branches) with `seq <= uptoSeq`, in stream order. */
  campaignEvents(campaignId: string, uptoSeq: number): AsyncIterable<SequencedEvent>;
}

export interface ReadRange {
  /** Subject filter, one (server 2.9 has no multi-filter consumers). */
  filter: string;
  fromSeq?: number;
  uptoSeq: number;
}

/**
 * Reads the commits on `filter` with `fromSeq <= seq <= uptoSeq`, in order, through an ordered consumer
 * (ephemeral, flow-controlled, recreated by the client on a gap). Stops at `uptoSeq` or at the last message
 * the stream holds now, whichever comes first.
 */
export async function* readCommits(nats: Nats, names: NatsNames, range: ReadRange): AsyncGenerator<SequencedCommit> {
  const fromSeq = Math.max(1, range.fromSeq ?? 1);
  if (range.uptoSeq < fromSeq) return;
  // An ordered consumer waits forever for a first message that does not exist; ask the stream first.
  const first = await nats.jsm.direct.getMessage(names.eventStream, { seq: fromSeq, next_by_subj: range.filter });
  if (!first || first.seq > range.uptoSeq) return;
  const consumer = await nats.js.consumers.get(names.eventStream, {
    filter_subjects: range.filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: first.seq,
  });
  const messages = await consumer.consume({ max_messages: 1000 });
  try {
    for await (const m of messages) {
      if (m.seq > range.uptoSeq) break;
      yield { seq: m.seq, commit: decodeCommit(m.data) };
      if (m.seq === range.uptoSeq || m.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
}

/** Events rather than commits: each event carries its commit's sequence. */
export async function* readEvents(nats: Nats, names: NatsNames, range: ReadRange): AsyncGenerator<SequencedEvent> {
  for await (const { seq, commit } of readCommits(nats, names, range)) {
    for (const event of commit.events) yield { seq, event };
  }
}

/** The event history of the stream this projector follows. */
export function jetStreamHistory(nats: Nats, names: NatsNames): EventHistory {
  return {
    campaignEvents: (campaignId, uptoSeq) =>
      readEvents(nats, names, { filter: `${names.prefix}.evt.${campaignId}.>`, uptoSeq }),
  };
}
