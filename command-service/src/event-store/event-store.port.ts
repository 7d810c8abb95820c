import type { Commit, EntityType, EventAddress } from '@cm/contracts';

/** A commit as the event store gives it back: the commit and its stream sequence. */
export interface RecordedCommit extends Commit {
  seq: number;
}

export interface AppendResult {
  seq: number;
  /** The command id was seen inside the duplicate window: nothing was written, `seq` is the first write's. */
  duplicate: boolean;
}

/**
 * What an appender knows of the aggregate's own commits: the append expects `lastSeq` and records where the
 * earlier ones are, so that a reader can fetch them all by sequence.
 */
export interface CommitPosition {
  /** Stream sequence of the aggregate's last commit (0: none yet): the optimistic-concurrency expectation. */
  lastSeq: number;
  /** Sequences of the commits before it, newest first; possibly only the most recent ones. */
  earlierSeqs: readonly number[];
  /** Whether `lastSeq` and `earlierSeqs` together are every commit the aggregate has. */
  complete: boolean;
}

/** Thrown when the subject moved past the sequence we decided on: reload and decide again. */
export class WrongExpectedSequence extends Error {
  constructor(
    readonly subject: string,
    readonly expected: number,
  ) {
    super(`subject ${subject} is past sequence ${expected}`);
  }
}

/**
 * The event log as the command side needs it: one commit per command, per-aggregate optimistic concurrency,
 * idempotency by command id. Only the `AggregateRepository` holds one; everything else goes through it.
 */
export interface EventStore {
  /** The key that orders an aggregate's commits (its subject): one queue per key in a process. */
  keyOf(address: EventAddress): string;
  /**
   * Appends `commit` if the aggregate's last commit is still at `after.lastSeq` (0: none yet), else throws
   * `WrongExpectedSequence`. A command id seen before (inside the duplicate window) is not written again.
   */
  append(
    address: EventAddress,
    commit: Commit,
    after: CommitPosition,
    ids: { commandId: string; correlationId: string },
  ): Promise<AppendResult>;
  /** The aggregate's commits with `seq <= uptoSeq`, oldest first. */
  read(address: EventAddress, uptoSeq?: number): Promise<RecordedCommit[]>;
  /** One commit by its stream sequence. */
  commitAt(seq: number): Promise<RecordedCommit | undefined>;
  /** The stream's last sequence. */
  headSeq(): Promise<number>;
  /**
   * The aggregates of one type with at least one commit of their own in one campaign branch: id → how many
   * commits its subject holds (a cached fold with fewer is stale).
   */
  aggregateIds(campaignId: string, branchId: string, entityType: EntityType): Promise<ReadonlyMap<string, number>>;
}
