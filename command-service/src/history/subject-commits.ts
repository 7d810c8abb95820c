import { decodeCommit, type Commit } from '@cm/contracts';
import type { Nats } from '@cm/platform';

/** A commit of one subject, with the stream's sequence and timestamp. */
export interface TimedCommit extends Commit {
  seq: number;
  time: string;
}

/** Yields one subject's commits lazily, oldest first: a consumer that stops early reads no further. */
export type CommitSource = (subject: string, afterSeq: number, uptoSeq: number) => AsyncIterable<TimedCommit>;

/**
 * Direct gets by `next_by_subj`, one commit per round trip, read only as far as the caller iterates: the first
 * page of a 10,000-commit history costs a page's worth of reads, not 10,000. No consumer is created.
 */
export function directGetCommits(nats: Nats, stream: string): CommitSource {
  return async function* (subject, afterSeq, uptoSeq) {
    let next = afterSeq + 1;
    while (next <= uptoSeq) {
      const m = await nats.jsm.direct.getMessage(stream, { seq: next, next_by_subj: subject });
      if (!m || m.seq > uptoSeq) return;
      yield { seq: m.seq, time: m.time.toISOString(), ...decodeCommit(m.data) };
      next = m.seq + 1;
    }
  };
}
