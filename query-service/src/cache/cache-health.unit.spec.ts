import { describe, expect, it } from 'vitest';
import { cacheStatus } from './cache-health.js';
import { rateLimitHeaders } from '../api/rate-limit.js';

describe('cacheStatus', () => {
  const counts = (hits: number, misses: number) => ({
    hits,
    misses,
    hitRate: hits + misses ? hits / (hits + misses) : 0,
  });
  it('is down without a PING answer, degraded over 50 ms or under a 0.5 hit rate, else up', () => {
    expect(cacheStatus(undefined, counts(9, 1))).toBe('down');
    expect(cacheStatus(3, counts(9, 1))).toBe('up');
    expect(cacheStatus(50, counts(5, 5))).toBe('up');
    expect(cacheStatus(50.5, counts(9, 1))).toBe('degraded');
    expect(cacheStatus(3, counts(4, 6))).toBe('degraded');
  });
  it('does not judge a hit rate before the first read', () => {
    expect(cacheStatus(3, counts(0, 0))).toBe('up');
  });
});

describe('rateLimitHeaders', () => {
  it('tells the standing, and Retry-After only when refused', () => {
    expect(rateLimitHeaders({ allowed: true, limit: 100, remaining: 7, resetSeconds: 12 })).toEqual({
      'X-RateLimit-Limit': '100',
      'X-RateLimit-Remaining': '7',
      'X-RateLimit-Reset': '12',
    });
    expect(rateLimitHeaders({ allowed: false, limit: 100, remaining: 0, resetSeconds: 12 })['Retry-After']).toBe('12');
  });
});
