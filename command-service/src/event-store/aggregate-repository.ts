import { LRUCache } from 'lru-cache';
import {
  branchLineage,
  MAIN_BRANCH,
  type AnyEvent,
  type Commit,
  type EntityType,
  type EventAddress,
  type ForkPoint,
  type LineageSegment,
} from '@cm/contracts';
import type { Decider } from '../domain/decider.js';
import type { AppendResult, EventStore, RecordedCommit } from './event-store.port.js';

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
  /** Sequences of the most recent commits on its own subject, newest first (bounded), and how many it has. */
  ownSeqs: readonly number[];
  ownCommits: number;
  /** Highest sequence folded, ancestors included: a consistency token for a no-op command. */
  foldedSeq: number;
  /** Sequence of the first commit folded (0: none): where the aggregate's history begins. */
  firstSeq: number;
  /** Recent command ids on this subject and their results (bounded). */
  results: Map<string, CommitResult>;
}

const RECENT_RESULTS = 64;
/** Own commit sequences kept per aggregate; the store records what it can use of them with each append. */
const RECENT_SEQS = 16;

/** Where a branch was forked from, or undefined for a branch that does not exist or was deleted. */
export type ForkPointOf = (branchState: unknown) => ForkPoint | undefined;

/**
 * The one owner of the event store: loads aggregates by folding their commits (with a bounded cache of folded
 * states), appends, and answers the few questions about the log the shell and the sagas have. The cache is
 * trusted without re-reading: a stale entry (another instance wrote) fails the append's expected-sequence
 * check, and the caller invalidates and reloads.
 */
export class AggregateRepository {
  /** Folded states by subject; absent when AGGREGATE_CACHE_SIZE is 0. */
  private readonly cache: LRUCache<string, Loaded<unknown>> | undefined;

  constructor(
    private readonly store: EventStore,
    cacheSize: number,
    private readonly branchDecider: Decider<any, any, any>,
    private readonly forkPointOf: ForkPointOf,
  ) {
    this.cache = cacheSize > 0 ? new LRUCache({ max: cacheSize }) : undefined;
  }

  /** The key commands on one aggregate are serialised by. */
  keyOf(address: EventAddress): string {
    return this.store.keyOf(address);
  }

  /**
   * `assumeNew` skips reading a main-branch aggregate that is not cached and folds nothing: right for a create,
   * whose id is almost always new. It is safe because the append then expects sequence 0, so an aggregate that
   * does exist fails it, and the caller reloads for real. (A branch aggregate may exist through its lineage,
   * which the expectation on its own subject would not catch, so branches are always read.)
   */
  async load<S>(decider: Decider<any, any, S>, address: EventAddress, assumeNew = false): Promise<Loaded<S>> {
    const key = this.keyOf(address);
    const cached = this.cache?.get(key) as Loaded<S> | undefined;
    if (cached) return cached;
    const loaded: Loaded<S> = {
      state: decider.initialState,
      version: 0,
      lastSeq: 0,
      ownSeqs: [],
      ownCommits: 0,
      foldedSeq: 0,
      firstSeq: 0,
      results: new Map(),
    };
    if (assumeNew && address.branchId === MAIN_BRANCH) return loaded;
    for (const segment of await this.lineage(address.campaignId, address.branchId)) {
      const own = segment.branchId === address.branchId;
      for (const commit of await this.store.read({ ...address, branchId: segment.branchId }, segment.uptoSeq))
        fold(decider, loaded, commit, own);
    }
    this.cache?.set(key, loaded as Loaded<unknown>);
    return loaded;
  }

  /**
   * Appends the commit a decision produced on `loaded`, expecting the subject still ends at `loaded.lastSeq`
   * (throws `WrongExpectedSequence` when it does not) and telling the store where the earlier commits are. A new commit is folded into the cached state, saving a
   * read of it; `state` is undefined for a duplicate command id, which wrote nothing.
   */
  async append<S>(
    decider: Decider<any, any, S>,
    address: EventAddress,
    loaded: Loaded<S>,
    commit: Commit,
    ids: { commandId: string; correlationId: string },
  ): Promise<AppendResult & { state?: Loaded<S> }> {
    const position = {
      lastSeq: loaded.lastSeq,
      earlierSeqs: loaded.ownSeqs.slice(1),
      complete: loaded.ownCommits === loaded.ownSeqs.length,
    };
    const ack = await this.store.append(address, commit, position, ids);
    if (ack.duplicate) {
      this.invalidate(address);
      return ack;
    }
    const next: Loaded<S> = { ...loaded, results: new Map(loaded.results) };
    fold(decider, next, { ...commit, seq: ack.seq }, true);
    this.cache?.set(this.keyOf(address), next as Loaded<unknown>);
    return { ...ack, state: next };
  }

  invalidate(address: EventAddress): void {
    this.cache?.delete(this.keyOf(address));
  }

  /** One commit by its stream sequence (to answer a duplicate command with what its first attempt wrote). */
  commitAt(seq: number): Promise<RecordedCommit | undefined> {
    return this.store.commitAt(seq);
  }

  /** The stream's last sequence. */
  headSeq(): Promise<number> {
    return this.store.headSeq();
  }

  /**
   * The segments an aggregate in `branchId` is made of (contracts' `branchLineage`), with each branch's fork
   * point read from its Branch aggregate. A missing or deleted branch is NOT_FOUND.
   */
  lineage(campaignId: string, branchId: string): Promise<LineageSegment[]> {
    return branchLineage(branchId, async (id) => {
      const branch = await this.load(this.branchDecider, {
        campaignId,
        branchId: MAIN_BRANCH,
        entityType: 'branch',
        entityId: id,
      });
      return this.forkPointOf(branch.state);
    });
  }

  /** Ids of the aggregates of a type that have commits in `branchId` or in the part of its lineage it inherits. */
  async aggregateIdsInLineage(campaignId: string, branchId: string, entityType: EntityType): Promise<string[]> {
    const ids = new Set<string>();
    for (const segment of await this.lineage(campaignId, branchId)) {
      for (const id of (await this.store.aggregateIds(campaignId, segment.branchId, entityType)).keys()) ids.add(id);
    }
    return [...ids];
  }

  /**
   * Every aggregate of a type in `branchId` or the part of its lineage it inherits, folded. Unlike `load`, a
   * cached fold is not trusted: it is read again when its subject holds more commits than it folded (another
   * instance wrote since), so a check against these is as fresh as the one stream-info request per lineage
   * segment that lists them. Inherited commits (up to a fork point) never change.
   */
  async loadAll<S>(
    decider: Decider<any, any, S>,
    campaignId: string,
    branchId: string,
    entityType: EntityType,
  ): Promise<Map<string, Loaded<S>>> {
    const ownCommits = new Map<string, number>();
    const ids = new Set<string>();
    for (const segment of await this.lineage(campaignId, branchId)) {
      for (const [id, commits] of await this.store.aggregateIds(campaignId, segment.branchId, entityType)) {
        ids.add(id);
        if (segment.branchId === branchId) ownCommits.set(id, commits);
      }
    }
    const out = new Map<string, Loaded<S>>();
    for (const entityId of ids) {
      const address = { campaignId, branchId, entityType, entityId };
      let loaded = await this.load(decider, address);
      if (loaded.ownCommits !== (ownCommits.get(entityId) ?? 0)) {
        this.invalidate(address);
        loaded = await this.load(decider, address);
      }
      out.set(entityId, loaded);
    }
    return out;
  }
}

function fold<S>(decider: Decider<any, any, S>, loaded: Loaded<S>, commit: RecordedCommit, own: boolean): void {
  for (const event of commit.events as AnyEvent[]) {
    loaded.state = decider.evolve(loaded.state, event);
    loaded.version += 1;
  }
  loaded.foldedSeq = Math.max(loaded.foldedSeq, commit.seq);
  if (loaded.firstSeq === 0) loaded.firstSeq = commit.seq;
  if (!own) return;
  loaded.lastSeq = commit.seq;
  loaded.ownSeqs = [commit.seq, ...loaded.ownSeqs.slice(0, RECENT_SEQS - 1)];
  loaded.ownCommits += 1;
  const commandId = commit.events[0]?.metadata.commandId;
  if (commandId) {
    loaded.results.set(commandId, { seq: commit.seq, commitId: commit.commitId, aggregateVersion: loaded.version });
    if (loaded.results.size > RECENT_RESULTS) loaded.results.delete(loaded.results.keys().next().value as string);
  }
}
