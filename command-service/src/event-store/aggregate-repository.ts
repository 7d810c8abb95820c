import { LRUCache } from 'lru-cache';
import { AppError, ErrorCode, MAIN_BRANCH, type AnyEvent, type EventAddress } from '@cm/contracts';
import type { Decider } from '../domain/decider.js';
import type { JetStreamEventStore, StoredCommit } from './jetstream-event-store.js';

/** The first result of a command, kept so that a retried command id gets it back. */
export interface CommitResult {
  seq: number;
  commitId: string;
  aggregateVersion: number;
}

/** An aggregate folded up to a point of the log. */
export interface Loaded<S> {
  state: S;
  /** Events folded, across the branch lineage: the next event's aggregateVersion is `version + 1`. */
  version: number;
  /** Last sequence on this aggregate's own subject (0: none); the optimistic-concurrency expectation. */
  lastSeq: number;
  /** Highest sequence folded, ancestors included: a consistency token for a no-op command. */
  foldedSeq: number;
  /** Recent command ids on this subject and their results (bounded). */
  results: Map<string, CommitResult>;
}

/** Where an aggregate's history lives: the branches of its lineage, root first, each read up to a sequence. */
export interface Segment {
  branchId: string;
  uptoSeq: number;
}

const RECENT_RESULTS = 64;

/** Facts about a branch the lineage needs; supplied by the branch decider's state. */
export interface BranchFacts {
  status: 'absent' | 'active' | 'deleted';
  parentBranchId: string | null;
  forkedAtSeq: number | null;
}

/**
 * Loads aggregates by folding their subjects, with a bounded cache of folded states. The cache is trusted
 * without re-reading: a stale entry (another instance wrote) fails the append's expected-sequence check,
 * and the caller invalidates and reloads.
 */
export class AggregateRepository {
  /** Folded states by subject; absent when AGGREGATE_CACHE_SIZE is 0. */
  private readonly cache: LRUCache<string, Loaded<unknown>> | undefined;

  constructor(
    readonly store: JetStreamEventStore,
    cacheSize: number,
    private readonly branchFacts: (state: unknown) => BranchFacts,
    private readonly branchDecider: Decider<any, any, any>,
  ) {
    this.cache = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
  }

  subjectOf(address: EventAddress): string {
    return this.store.names.eventSubject(address);
  }

  /**
   * `assumeNew` skips reading a main-branch aggregate that is not cached and folds nothing: right for a create,
   * whose id is almost always new. It is safe because the append then expects sequence 0, so an aggregate that
   * does exist fails it, and the caller reloads for real. (A branch aggregate may exist through its lineage,
   * which the expectation on its own subject would not catch, so branches are always read.)
   */
  async load<S>(decider: Decider<any, any, S>, address: EventAddress, assumeNew = false): Promise<Loaded<S>> {
    const subject = this.subjectOf(address);
    const cached = this.cache?.get(subject) as Loaded<S> | undefined;
    if (cached) return cached;
    const loaded: Loaded<S> = { state: decider.initialState, version: 0, lastSeq: 0, foldedSeq: 0, results: new Map() };
    if (assumeNew && address.branchId === MAIN_BRANCH) return loaded;
    const segments = await this.lineage(address.campaignId, address.branchId);
    for (const segment of segments) {
      const own = segment.branchId === address.branchId;
      const commits = await this.store.read(this.subjectOf({ ...address, branchId: segment.branchId }), 0, segment.uptoSeq);
      for (const commit of commits) this.fold(decider, loaded, commit, own);
    }
    this.cache?.set(subject, loaded as Loaded<unknown>);
    return loaded;
  }

  /** Folds a commit this process just appended into the cached state, saving a read. */
  recordAppend<S>(decider: Decider<any, any, S>, address: EventAddress, loaded: Loaded<S>, commit: StoredCommit): Loaded<S> {
    const next: Loaded<S> = { ...loaded, results: new Map(loaded.results) };
    this.fold(decider, next, commit, true);
    this.cache?.set(this.subjectOf(address), next as Loaded<unknown>);
    return next;
  }

  invalidate(address: EventAddress): void {
    this.cache?.delete(this.subjectOf(address));
  }

  /**
   * The segments an aggregate in `branchId` is made of: the parent's events up to the fork, recursively,
   * then the branch's own. A missing or deleted branch is NOT_FOUND.
   */
  async lineage(campaignId: string, branchId: string): Promise<Segment[]> {
    const segments: Segment[] = [{ branchId, uptoSeq: Number.MAX_SAFE_INTEGER }];
    let current = branchId;
    let cutoff = Number.MAX_SAFE_INTEGER;
    for (let depth = 0; current !== MAIN_BRANCH; depth += 1) {
      if (depth > 64) throw new AppError(ErrorCode.INVALID_STATE, 'branch lineage too deep');
      const branch = await this.load(this.branchDecider, { campaignId, branchId: MAIN_BRANCH, entityType: 'branch', entityId: current });
      const facts = this.branchFacts(branch.state);
      if (facts.status !== 'active' || facts.parentBranchId === null || facts.forkedAtSeq === null) {
        throw new AppError(ErrorCode.NOT_FOUND, `branch ${current} not found`, { branchId: current });
      }
      cutoff = Math.min(cutoff, facts.forkedAtSeq);
      current = facts.parentBranchId;
      segments.unshift({ branchId: current, uptoSeq: cutoff });
    }
    return segments;
  }

  private fold<S>(decider: Decider<any, any, S>, loaded: Loaded<S>, commit: StoredCommit, own: boolean): void {
    for (const event of commit.events as AnyEvent[]) {
      loaded.state = decider.evolve(loaded.state, event);
      loaded.version += 1;
    }
    loaded.foldedSeq = Math.max(loaded.foldedSeq, commit.seq);
    if (!own) return;
    loaded.lastSeq = commit.seq;
    const commandId = commit.events[0]?.metadata.commandId;
    if (commandId) {
      loaded.results.set(commandId, { seq: commit.seq, commitId: commit.commitId, aggregateVersion: loaded.version });
      if (loaded.results.size > RECENT_RESULTS) loaded.results.delete(loaded.results.keys().next().value as string);
    }
  }
}
