import type { Commit } from '@cm/contracts';
import { readStream, type Nats } from '@cm/platform';

/** A commit of one subject, with the stream's sequence and timestamp. */
export interface TimedCommit extends Commit {
  seq: number;
  time: string;
}

/**
 * Yields one subject's commits lazily, oldest first, with `afterSeq < seq <= uptoSeq`; `batch` says how many the
 * caller expects to need, so a reader that stops early has not fetched much more.
 */
export type CommitSource = (
  subject: string,
  afterSeq: number,
  uptoSeq: number,
  batch: number,
) => AsyncIterable<TimedCommit>;

/**
 * An ordered consumer on the subject (one direct get first to see whether anything is there): a page of 20
 * commits costs about three round trips instead of a direct get per commit, and a fold of a long history streams
 * with flow control. Nothing durable is created.
 */
export function streamCommits(nats: Nats, stream: string): CommitSource {
  return async function* (subject, afterSeq, uptoSeq, batch) {
    for await (const c of readStream(nats, stream, { filter: subject, fromSeq: afterSeq + 1, toSeq: uptoSeq, batch })) {
      yield { seq: c.seq, time: c.time, ...c.commit };
    }
  };
}
