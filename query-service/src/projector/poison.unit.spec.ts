import { describe, expect, it } from 'vitest';
import { aggregateKey, isTransient, PoisonGuard, type GuardedCommit, type ParkedCommit } from './poison.js';

const commit = (seq: number, aggregate: string): GuardedCommit => ({ seq, aggregate, eventTypes: ['KingdomCreated'] });

/** A projection whose writes fail for the aggregates in `poison`, recording what it applied and parked. */
function projection(
  poison: Set<string>,
  failure: () => Error = () => Object.assign(new Error('violates check constraint'), { code: '23514' }),
) {
  const applied: number[] = [];
  const parked: ParkedCommit[] = [];
  const calls: [number[], number[]][] = [];
  return {
    applied,
    parked,
    calls,
    apply: async (commits: GuardedCommit[], park: ParkedCommit[]) => {
      calls.push([commits.map((c) => c.seq), park.map((p) => p.seq)]);
      if (commits.some((c) => poison.has(c.aggregate))) throw failure();
      applied.push(...commits.map((c) => c.seq));
      parked.push(...park);
    },
  };
}

describe('PoisonGuard', () => {
  it('applies a healthy batch in one call', async () => {
    const p = projection(new Set());
    const guard = new PoisonGuard({ policy: { maxAttempts: 3, backoffMs: 0 }, held: [], apply: p.apply });
    expect(await guard.apply([commit(1, 'a'), commit(2, 'b')])).toEqual({ applied: 2, parked: [] });
    expect(p.calls).toEqual([[[1, 2], []]]);
  });

  it('finds the poison one commit at a time, parks it after its attempts with the later commits of its aggregate, and applies the others in order', async () => {
    const p = projection(new Set(['b']));
    const waits: number[] = [];
    const guard = new PoisonGuard({
      policy: { maxAttempts: 3, backoffMs: 10 },
      held: [],
      apply: p.apply,
      sleep: async (ms) => void waits.push(ms),
    });
    const outcome = await guard.apply([commit(1, 'a'), commit(2, 'b'), commit(3, 'c'), commit(4, 'b'), commit(5, 'a')]);
    expect(p.applied).toEqual([1, 3, 5]);
    expect(outcome.parked.map((x) => [x.seq, x.attempts])).toEqual([
      [2, 3],
      [4, 0],
    ]);
    expect(outcome.parked[0]!.error).toBe('23514: violates check constraint');
    expect(waits).toEqual([10, 20]); // backoff doubles between the three attempts
    expect([...guard.held()]).toEqual(['b']);
    // Later batches park the held aggregate's commits without trying them.
    p.calls.length = 0;
    expect(await guard.apply([commit(6, 'b'), commit(7, 'c')])).toMatchObject({
      applied: 1,
      parked: [{ seq: 6, attempts: 0 }],
    });
    expect(p.calls).toEqual([[[7], [6]]]);
  });

  it('rethrows a transient failure instead of parking anything', async () => {
    const p = projection(new Set(['a']), () =>
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    );
    const guard = new PoisonGuard({ policy: { maxAttempts: 3, backoffMs: 0 }, held: [], apply: p.apply });
    await expect(guard.apply([commit(1, 'a')])).rejects.toMatchObject({ code: '57P01' });
    expect(p.parked).toEqual([]);
    expect([...guard.held()]).toEqual([]);
  });
});

describe('isTransient', () => {
  it('tells an unreachable or overloaded database from an event the projection cannot apply', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(true);
    expect(isTransient(new Error('applying a batch: no answer from Postgres within 16000 ms'))).toBe(true);
    expect(isTransient(Object.assign(new Error('moved'), { name: 'CheckpointMovedError' }))).toBe(true);
    expect(isTransient({ message: 'wrapped', cause: Object.assign(new Error('x'), { code: '08006' }) })).toBe(true);
    expect(isTransient(Object.assign(new Error('violates check constraint'), { code: '23514' }))).toBe(false);
    expect(isTransient(new Error('no projection for event type Unknown'))).toBe(false);
  });

  it('keys aggregates by type, id, campaign and branch', () => {
    expect(aggregateKey({ entityType: 'kingdom', entityId: 'k1', campaignId: 'c1', branchId: 'main' })).toBe(
      'kingdom:k1@c1/main',
    );
  });
});
