import { describe, expect, it } from 'vitest';
import {
  buildComputedFieldsKey,
  buildEntityListKey,
  buildSpatialQueryKey,
  cacheFamilyOf,
  campaignCacheKey,
  normalizeSpatialParams,
} from './cache-keys.js';

describe('cache keys', () => {
  it('builds the computed-fields key', () => {
    expect(buildComputedFieldsKey('settlement', 'settle_123', 'main')).toBe(
      'computed-fields:settlement:settle_123:main',
    );
  });
  it('builds the entity list key', () => {
    expect(buildEntityListKey('structures', 'settlement', 'settle_456', 'main')).toBe(
      'structures:settlement:settle_456:main',
    );
  });
  it('normalises fractional coordinates to 6 decimals and keeps integers', () => {
    expect(normalizeSpatialParams(1.234567, 2.345678, 1000, 3857)).toEqual(['1.234567', '2.345678', '1000', '3857']);
    expect(normalizeSpatialParams(48.8566, 0.1 + 0.2)).toEqual(['48.856600', '0.300000']);
  });
  it('builds the spatial key with normalised parameters', () => {
    expect(buildSpatialQueryKey('locations-within-bounds', [48.8566, 2.3522, 5000, 3857, 'world_123'], 'main')).toBe(
      'spatial:locations-within-bounds:48.856600:2.352200:5000:3857:world_123:main',
    );
  });
  it('scopes a key to its campaign and reads its family back', () => {
    const key = campaignCacheKey('camp_1', buildComputedFieldsKey('settlement', 's1', 'main'));
    expect(key).toBe('campaign:camp_1:computed-fields:settlement:s1:main');
    expect(cacheFamilyOf(key)).toBe('computed-fields');
    expect(cacheFamilyOf(campaignCacheKey('c', buildEntityListKey('structures', 'settlement', 's1', 'b')))).toBe(
      'structures',
    );
    expect(cacheFamilyOf('spatial:x:1:main')).toBe('spatial');
  });
});
