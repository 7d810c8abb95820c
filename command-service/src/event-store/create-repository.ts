import type { BranchState } from '../domain/branch/branch.state.js';
import { deciders } from '../domain/index.js';
import { AggregateRepository } from './aggregate-repository.js';
import type { EventStore } from './event-store.port.js';

/** The repository wired to the branch decider, whose state tells each branch's parent and fork point. */
export function createRepository(store: EventStore, cacheSize: number): AggregateRepository {
  return new AggregateRepository(store, cacheSize, deciders.branch, (state) => {
    const { status, parentBranchId, forkedAtSeq } = state as BranchState;
    return status === 'active' && parentBranchId !== null && forkedAtSeq !== null
      ? { parentBranchId, forkedAtSeq }
      : undefined;
  });
}
