import { afterEach, describe, expect, it } from 'vitest';
import { loadRulesConfig } from '../config.js';
import { ResultCache } from './result-cache.js';

let cache: ResultCache | undefined;
afterEach(() => cache?.close());

describe('the per-instance result cache', () => {
  it('keys by campaign, branch, entity and field', () => {
    expect(ResultCache.key('c1', 'main', 'settlement', 's1', 'wealth')).toBe('c1|main|settlement|s1|wealth');
  });
  it('counts hits and misses', () => {
    cache = new ResultCache({ maxKeys: 10, ttlSeconds: 300, checkPeriodSeconds: 0 });
    cache.set('a', { field: 'f', value: 1 });
    expect(cache.get('a')).toEqual({ field: 'f', value: 1 });
    expect(cache.get('b')).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });
  it('past maxKeys keeps what it holds, refuses the rest and counts it', () => {
    cache = new ResultCache({ maxKeys: 2, ttlSeconds: 300, checkPeriodSeconds: 0 });
    for (const k of ['a', 'b', 'c']) cache.set(k, { field: 'f', value: k });
    expect(cache.keys().sort()).toEqual(['a', 'b']);
    expect(cache.full).toBe(1);
  });
  it('drops by prefix and field, counting by reason', () => {
    cache = new ResultCache({ maxKeys: 100, ttlSeconds: 300, checkPeriodSeconds: 0 });
    for (const k of [
      'c|main|settlement|s1|a',
      'c|main|settlement|s1|b',
      'c|main|structure|t1|a',
      'c|alt|settlement|s1|a',
    ])
      cache.set(k, { field: 'f', value: 1 });
    expect(cache.dropWhere('c', 'main', 'condition', 'settlement', new Set(['a']))).toBe(1);
    expect(cache.keys().sort()).toEqual(['c|alt|settlement|s1|a', 'c|main|settlement|s1|b', 'c|main|structure|t1|a']);
    expect(cache.dropWhere('c', 'alt', 'branch')).toBe(1);
    expect(cache.invalidations).toEqual({ entity: 0, variable: 0, condition: 1, branch: 1 });
  });
});

describe('rules configuration', () => {
  it('defaults to 10,000 keys, 300 s TTL and a 60 s check period', () => {
    expect(loadRulesConfig({})).toMatchObject({
      RULES_CACHE_MAX_KEYS: 10_000,
      RULES_CACHE_TTL: 300,
      RULES_CACHE_CHECK_PERIOD: 60,
      RULES_OPS_PORT: 4002,
    });
  });
  it('reads them from the environment', () => {
    expect(
      loadRulesConfig({ RULES_CACHE_MAX_KEYS: '50', RULES_CACHE_TTL: '5', RULES_CACHE_CHECK_PERIOD: '1' }),
    ).toMatchObject({
      RULES_CACHE_MAX_KEYS: 50,
      RULES_CACHE_TTL: 5,
      RULES_CACHE_CHECK_PERIOD: 1,
    });
  });
  it('names a bad variable', () => {
    expect(() => loadRulesConfig({ RULES_CACHE_TTL: 'soon' })).toThrow(/RULES_CACHE_TTL/);
  });
});
