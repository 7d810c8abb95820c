import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { readCommits } from './event-history.js';
import type { SequencedEvent } from './postgres.projection.js';
import type { ApplyResult } from './projection-writer.js';

/** What `projectStream` writes through: the Postgres `ProjectionWriter`, or any other model's writer. */
export interface BatchWriter<R extends { checkpoint: number }> {
  checkpoint(): Promise<number>;
  apply(events: readonly SequencedEvent[], opts: { expectedCheckpoint: number }): Promise<R>;
}

export interface RebuildOptions<R = ApplyResult> {
  /** Last sequence to apply; the stream's last sequence now by default. */
  uptoSeq?: number;
  /** Events per transaction (whole commits: a commit never spans two batches). */
  batchSize?: number;
  /** Called after each committed batch. */
  onBatch?: (result: R) => void;
}

/**
 * Projects the event stream into `writer`'s schema from its checkpoint (1 for an empty schema) up to `uptoSeq`
 * with an ordered consumer, through the same projection and writer the projector uses. Rebuilding into a fresh
 * schema and comparing it with the live one is how the projection is checked end to end. Resolves to the
 * checkpoint reached.
 */
export async function projectStream<R extends { checkpoint: number } = ApplyResult>(
  nats: Nats,
  names: NatsNames,
  writer: BatchWriter<R>,
  opts: RebuildOptions<R> = {},
): Promise<number> {
  const uptoSeq = opts.uptoSeq ?? (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
  const batchSize = opts.batchSize ?? 500;
  let checkpoint = await writer.checkpoint();
  let batch: SequencedEvent[] = [];
  // One batch is written while the next is read and decoded: reading and writing overlap, so the rebuild runs at
  // about the slower of the two rather than at their sum. Batches still commit one after another, in order.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    await writing;
    writing = (async () => {
      const result = await writer.apply(events, { expectedCheckpoint: checkpoint });
      opts.onBatch?.(result);
      checkpoint = result.checkpoint;
    })();
    // Awaited by the next flush or at the end; a failure meanwhile must not count as unhandled.
    writing.catch(() => undefined);
  };
  for await (const { seq, commit } of readCommits(nats, names, {
    filter: names.eventWildcard,
    fromSeq: checkpoint + 1,
    uptoSeq,
  })) {
    for (const event of commit.events) batch.push({ seq, event });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await writing;
  return checkpoint;
}
