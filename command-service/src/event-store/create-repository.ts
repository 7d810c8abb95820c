import { deciders } from '../domain/index.js';
import { AggregateRepository, type BranchFacts } from './aggregate-repository.js';
import type { JetStreamEventStore } from './jetstream-event-store.js';

/** The repository wired to the branch decider, whose state tells each branch's parent and fork point. */
export function createRepository(store: JetStreamEventStore, cacheSize: number): AggregateRepository {
  return new AggregateRepository(store, cacheSize, (state) => state as BranchFacts, deciders.branch);
}
