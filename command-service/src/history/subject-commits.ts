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
 * The subject read through `readStream`'s bounded read: a page of 20 commits (21 asked for) costs one round trip,
 * and a fold of a long history streams in batches. Nothing is left on the server.
 */
export function streamCommits(nats: Nats, stream: string): CommitSource {
  return async function* (subject, afterSeq, uptoSeq, batch) {
    for await (const c of readStream(nats, stream, { filter: subject, fromSeq: afterSeq + 1, toSeq: uptoSeq, batch })) {
      yield { seq: c.seq, time: c.time, ...c.commit };
    }
  };
}
