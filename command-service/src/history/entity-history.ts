import {
  AppError,
  diffStates,
  ErrorCode,
  homeBranchOf,
  type AnyEvent,
  type EntitySnapshot,
  type EventAddress,
  type HistoryEntry,
  type HistoryPage,
} from '@cm/contracts';
import type { Decider } from '../domain/decider.js';
import { deciders } from '../domain/index.js';
import type { CommitSource, TimedCommit } from './subject-commits.js';

/** One branch's share of an aggregate's lineage, root first (the repository's `lineage`). */
interface Segment {
  branchId: string;
  uptoSeq: number;
}

export interface HistoryDeps {
  commits: CommitSource;
  subjectOf(address: EventAddress): string;
  lineage(campaignId: string, branchId: string): Promise<Segment[]>;
}

export const MAX_PAGE = 500;
const FOLD_BATCH = 500;

/**
 * History and time travel, folded with the deciders' own `evolve`: the state an event is diffed against and
 * the state `entityAt` answers are the ones the command service decides on. Pages go forward by stream
 * sequence (a branch's own commits all come after its fork point, so the lineage is one increasing sequence):
 * a page after `after` folds the commits up to `after` and reads one page plus one commit, so the first page
 * of a long history is cheap and a later page costs its position. Commits come from a bounded read of the
 * aggregate's subject, asked for only as many as the page needs.
 */
export class EntityHistory {
  constructor(private readonly deps: HistoryDeps) {}

  async page(address: EventAddress, after: number, first: number): Promise<HistoryPage> {
    if (!Number.isSafeInteger(first) || first < 1 || first > MAX_PAGE)
      throw new AppError(ErrorCode.VALIDATION, `first must be 1..${MAX_PAGE}`, { first });
    const decider = this.deciderOf(address);
    let state: unknown = decider.initialState;
    const entries: HistoryEntry[] = [];
    let endCursor: number | null = null;
    // From the start, a page needs `first + 1` commits (the last says whether there is more); further on, the
    // commits before it stream in full batches.
    for await (const commit of this.lineageCommits(
      address,
      Number.MAX_SAFE_INTEGER,
      after === 0 ? first + 1 : FOLD_BATCH,
    )) {
      if (commit.seq <= after) {
        state = foldCommit(decider, state, commit);
        continue;
      }
      if (entries.length >= first) return { entries, endCursor, hasNextPage: true };
      for (const event of commit.events) {
        const next = decider.evolve(state, event as AnyEvent);
        entries.push({ seq: commit.seq, time: commit.time, event, changes: diffStates(state, next) });
        state = next;
      }
      endCursor = commit.seq;
    }
    return { entries, endCursor, hasNextPage: false };
  }

  /** The entity folded up to `seq`, or up to the last commit stored at or before `time`. */
  async at(address: EventAddress, seq?: number, time?: string): Promise<EntitySnapshot> {
    const decider = this.deciderOf(address);
    const until = time === undefined ? undefined : Date.parse(time);
    if (until !== undefined && Number.isNaN(until))
      throw new AppError(ErrorCode.VALIDATION, 'time must be an ISO-8601 timestamp', { time });
    let snapshot: EntitySnapshot = { seq: 0, version: 0, state: decider.initialState };
    for await (const commit of this.lineageCommits(address, seq ?? Number.MAX_SAFE_INTEGER, FOLD_BATCH)) {
      if (until !== undefined && Date.parse(commit.time) > until) break;
      snapshot = {
        seq: commit.seq,
        version: snapshot.version + commit.events.length,
        state: foldCommit(decider, snapshot.state, commit),
      };
    }
    return snapshot;
  }

  /** The aggregate's commits across its lineage, oldest first, up to `uptoSeq`. */
  private async *lineageCommits(address: EventAddress, uptoSeq: number, batch: number): AsyncGenerator<TimedCommit> {
    const home = homeBranchOf(address.entityType, address.branchId);
    for (const segment of await this.deps.lineage(address.campaignId, home)) {
      const subject = this.deps.subjectOf({ ...address, branchId: segment.branchId });
      yield* this.deps.commits(subject, 0, Math.min(segment.uptoSeq, uptoSeq), batch);
    }
  }

  private deciderOf(address: EventAddress): Decider<any, any, unknown> {
    const decider = deciders[address.entityType];
    if (!decider) throw new AppError(ErrorCode.VALIDATION, `unknown entity type ${String(address.entityType)}`);
    return decider;
  }
}

function foldCommit(decider: Decider<any, any, unknown>, state: unknown, commit: TimedCommit): unknown {
  let next = state;
  for (const event of commit.events) next = decider.evolve(next, event as AnyEvent);
  return next;
}
