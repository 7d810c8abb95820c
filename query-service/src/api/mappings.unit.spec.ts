import { describe, expect, it } from 'vitest';
import { AppError } from '@cm/contracts';
import { acceptCorrelationId, assertIdArguments, parseMinSeq } from './arguments.js';
import { keyOf } from './loaders.js';
import { effectToGraphQL } from './resolvers/entity.resolvers.js';

describe('DataLoader cache keys', () => {
  it('ignore property order, so equal keys share one cache entry', () => {
    expect(keyOf({ campaignId: 'c', branchId: 'main', id: 'k' })).toBe(
      keyOf({ id: 'k', branchId: 'main', campaignId: 'c' }),
    );
  });

  it('treat an absent optional filter and an undefined one alike, and tell different filters apart', () => {
    expect(keyOf({ campaignId: 'c', branchId: 'main', kingdomId: undefined })).toBe(
      keyOf({ campaignId: 'c', branchId: 'main' }),
    );
    expect(keyOf({ campaignId: 'c', branchId: 'main', kingdomId: 'k' })).not.toBe(
      keyOf({ campaignId: 'c', branchId: 'main', locationId: 'k' }),
    );
    expect(keyOf('camp-1')).toBe('"camp-1"');
  });
});

describe('request arguments', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['42', 42],
    [' 7 ', 7],
    [0, 0],
    [123, 123],
  ])('reads minSeq %j as %j', (value, seq) => {
    expect(parseMinSeq(value, 'x-min-seq')).toBe(seq);
  });

  it.each([['-1'], ['soon'], [-3], [1.5], ['1e3'], ['99999999999999999']])(
    'refuses minSeq %j with VALIDATION',
    (value) => {
      expect(() => parseMinSeq(value, 'minSeq')).toThrow(AppError);
      try {
        parseMinSeq(value, 'minSeq');
      } catch (e) {
        expect((e as AppError).code).toBe('VALIDATION');
      }
    },
  );

  it('keeps a printable correlation id and replaces anything else', () => {
    expect(acceptCorrelationId('req-123', () => 'new')).toBe('req-123');
    expect(acceptCorrelationId(null, () => 'new')).toBe('new');
    expect(acceptCorrelationId('has space', () => 'new')).toBe('new');
    expect(acceptCorrelationId('x'.repeat(201), () => 'new')).toBe('new');
  });

  it('checks only id arguments, and only when given', () => {
    expect(() =>
      assertIdArguments({ name: 'a.b', key: 'x y', campaignId: 'c-1', branchId: null, id: undefined }),
    ).not.toThrow();
    expect(() => assertIdArguments({ settlementId: 's*' })).toThrow(/settlementId/);
  });
});

describe('world event effects as JSON', () => {
  it('come back in the spelling clients send them in', () => {
    expect(
      effectToGraphQL({
        ownerType: 'world-event',
        ownerId: 'w1',
        key: 'gold',
        value: { type: 'json', value: { a: 1 } },
      }),
    ).toEqual({
      ownerType: 'WORLD_EVENT',
      ownerId: 'w1',
      key: 'gold',
      value: { type: 'JSON', value: { a: 1 } },
    });
  });
});
