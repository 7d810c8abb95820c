import { describe, expect, it } from 'vitest';
import { closedLoop } from './load.js';

describe('closedLoop', () => {
  it('stops starting operations at maxOps, each index once', async () => {
    const seen: number[] = [];
    const result = await closedLoop({
      concurrency: 8,
      durationMs: 10_000,
      maxOps: 50,
      firstIndex: 100,
      op: async (i) => void seen.push(i),
    });
    expect(result.ok).toBe(50);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => 100 + k));
  });
});
