import { describe, expect, expectTypeOf, it } from 'vitest';
import { branchLineage, homeBranchOf, type ForkPoint } from './aggregates.js';
import { ENTITY_TYPES } from './domain.js';
import { AppError, ErrorCode } from './errors.js';
import { entityTypeOfEvent, EVENT_TYPES, type EventOf } from './events.js';

describe('home branch', () => {
  it('files the campaign-wide aggregates under main and the others under the branch named', () => {
    expect(homeBranchOf('campaign', 'alt')).toBe('main');
    expect(homeBranchOf('branch', 'alt')).toBe('main');
    expect(homeBranchOf('kingdom', 'alt')).toBe('alt');
    expect(homeBranchOf('state-variable', 'main')).toBe('main');
  });
});

describe('branch lineage', () => {
  // main ← a (at 10) ← b (at 30) ← c (at 5: forked from b at a point before b itself was forked)
  const forks: Record<string, ForkPoint> = {
    a: { parentBranchId: 'main', forkedAtSeq: 10 },
    b: { parentBranchId: 'a', forkedAtSeq: 30 },
    c: { parentBranchId: 'b', forkedAtSeq: 5 },
  };
  const forkOf = (id: string) => forks[id];
  const MAX = Number.MAX_SAFE_INTEGER;

  it('is main alone for main', async () => {
    expect(await branchLineage('main', forkOf)).toEqual([{ branchId: 'main', uptoSeq: MAX }]);
  });
  it('takes each ancestor up to where its child forked, root first', async () => {
    expect(await branchLineage('b', forkOf)).toEqual([
      { branchId: 'main', uptoSeq: 10 },
      { branchId: 'a', uptoSeq: 30 },
      { branchId: 'b', uptoSeq: MAX },
    ]);
  });
  it('caps every ancestor by the earliest fork below it', async () => {
    expect(await branchLineage('c', forkOf)).toEqual([
      { branchId: 'main', uptoSeq: 5 },
      { branchId: 'a', uptoSeq: 5 },
      { branchId: 'b', uptoSeq: 5 },
      { branchId: 'c', uptoSeq: MAX },
    ]);
  });
  it('caps the whole lineage at a given sequence, and takes asynchronous answers', async () => {
    expect(await branchLineage('b', async (id) => forks[id], 8)).toEqual([
      { branchId: 'main', uptoSeq: 8 },
      { branchId: 'a', uptoSeq: 8 },
      { branchId: 'b', uptoSeq: 8 },
    ]);
  });
  it('is NOT_FOUND for a branch without a fork point, and refuses a loop', async () => {
    const missing = await branchLineage('x', forkOf).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AppError);
    expect([(missing as AppError).code, (missing as AppError).details]).toEqual([
      ErrorCode.NOT_FOUND,
      { branchId: 'x' },
    ]);
    const loop = await branchLineage('p', (id) => ({ parentBranchId: id === 'p' ? 'q' : 'p', forkedAtSeq: 1 })).catch(
      (e: unknown) => e,
    );
    expect((loop as AppError).code).toBe(ErrorCode.INVALID_STATE);
  });
});

describe('events by aggregate', () => {
  it('gives every event type an aggregate type that exists', () => {
    for (const type of EVENT_TYPES) expect(ENTITY_TYPES).toContain(entityTypeOfEvent[type]);
  });
  it('types EventOf<A> as the events of A alone', () => {
    expectTypeOf<EventOf<'kingdom'>['type']>().toEqualTypeOf<'KingdomCreated' | 'KingdomRenamed' | 'KingdomDeleted'>();
    expectTypeOf<EventOf<'branch'>['type']>().toEqualTypeOf<'BranchForked' | 'BranchRenamed' | 'BranchDeleted'>();
    expectTypeOf<EventOf<'kingdom'>>().not.toBeNever();
  });
});
