import { buildSpatialQueryKey, campaignCacheKey } from '@cm/contracts';
import type { Cache } from './cache.port.js';

/** A cached answer and the read model's checkpoint before it was computed (see cached-lists.ts for why). */
interface Entry<T> {
  seq: number;
  value: T;
}

export interface SpatialCacheOptions {
  cache: Cache;
  /** `CACHE_SPATIAL_TTL`. */
  ttlSeconds: number;
  appliedSeq(): number;
}

/**
 * The answer of a spatial query (`settlements-within-radius`, `entities-within-bounds`, ...) through the cache,
 * under `spatial:{queryType}:{params...}:{branchId}` in its campaign with numbers normalised to 6 decimals, so
 * equal queries share an entry despite floating-point noise. The invalidator removes a branch's spatial entries
 * when a settlement or location of it changes. An entry read before `requiredSeq` is not used: a read after a
 * write never gets an answer older than the write.
 */
export async function cachedSpatial<T>(
  opts: SpatialCacheOptions,
  query: { campaignId: string; branchId: string; queryType: string; params: ReadonlyArray<number | string> },
  requiredSeq: number,
  load: () => Promise<T>,
): Promise<T> {
  const key = campaignCacheKey(query.campaignId, buildSpatialQueryKey(query.queryType, query.params, query.branchId));
  const hit = await opts.cache.get<Entry<T>>(key);
  if (hit && hit.seq >= requiredSeq) return hit.value;
  const seq = opts.appliedSeq();
  const value = await load();
  await opts.cache.set(key, { seq, value } satisfies Entry<T>, opts.ttlSeconds);
  return value;
}
