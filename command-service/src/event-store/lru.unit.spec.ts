import { describe, expect, it } from 'vitest';
import { Lru } from './lru.js';

describe('Lru', () => {
  it('evicts the oldest entry beyond its capacity', () => {
    const lru = new Lru<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) lru.set(k, i);
    expect(lru.get('a')).toBeUndefined();
    expect([lru.get('b'), lru.get('c'), lru.get('d')]).toEqual([1, 2, 3]);
    expect(lru.size).toBe(3);
  });

  it('keeps an entry that is read while many others are written', () => {
    const lru = new Lru<string, number>(100);
    lru.set('hot', -1);
    for (let i = 0; i < 1000; i += 1) {
      lru.set(`k${i}`, i);
      expect(lru.get('hot')).toBe(-1);
    }
    expect(lru.get('k0')).toBeUndefined();
    expect(lru.get('k999')).toBe(999);
    expect(lru.size).toBe(100);
  });

  it('stores nothing with capacity 0, and forgets deleted keys', () => {
    const off = new Lru<string, number>(0);
    off.set('a', 1);
    expect(off.get('a')).toBeUndefined();
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.delete('a');
    expect(lru.get('a')).toBeUndefined();
  });
});
