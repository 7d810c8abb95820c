import { buildEntityListKey, campaignCacheKey } from '@cm/contracts';
import type { ListName, Page, PageQuery } from '../read-model/lists.js';
import type { ReadModel, SettlementRow, StructureRow } from '../read-model/read-model.port.js';
import type { Cache } from './cache.port.js';
import { LIST_FAMILIES } from './invalidation.js';
import { cachedSpatial } from './spatial-cache.js';

/** A cached list and the read model's checkpoint before it was read: the list reflects at least that sequence. */
interface Entry<T> {
  seq: number;
  rows: T;
}

/**
 * The first page of a hot list is cached at this size whatever page size the client asks for, and smaller pages
 * are cut from it, so one entry (the seeds' key, which invalidation deletes) serves every `first` up to it.
 */
const CACHED_PAGE = 200;

/** The hot lists whose unfiltered first page is a cache entry, and the cache family of each. */
const CACHED_PAGES: Partial<
  Record<ListName, { family: readonly [string, string]; ttl: 'settlements' | 'structures' }>
> = {
  settlementsOfKingdom: { family: LIST_FAMILIES.settlementsOfKingdom, ttl: 'settlements' },
  structuresOfSettlement: { family: LIST_FAMILIES.structuresOfSettlement, ttl: 'structures' },
};

export interface ListCacheOptions {
  cache: Cache;
  /** `CACHE_SETTLEMENT_TTL`, `CACHE_STRUCTURE_TTL`. */
  ttls: { settlements: number; structures: number; spatial: number };
  /** The projection's applied sequence as the API knows it (the checkpoint tracker's). */
  appliedSeq(): number;
}

/**
 * The read model with its hot lists (settlements of a kingdom, structures of a settlement) served from the cache,
 * one MGET per DataLoader batch and one read-model call for the misses, so a nested query still costs a round trip
 * per level. Each entry carries the checkpoint read before its rows: a request that must see a sequence
 * (`minSeq`) uses only entries at or past it, so the cache never answers older than read-your-writes allows;
 * others may read an entry until the event that changes it reaches the invalidator.
 *
 * `requiredSeq` is the request's read-your-writes target so far (per request: see graphql-context.ts).
 */
export function cachedLists(base: ReadModel, opts: ListCacheOptions, requiredSeq: () => number): ReadModel {
  async function through<P extends { campaignId: string; branchId: string }, T>(
    parents: readonly P[],
    keyOf: (p: P) => string | undefined,
    ttl: number,
    load: (missing: readonly P[]) => Promise<T[]>,
  ): Promise<T[]> {
    const keys = parents.map(keyOf);
    const cacheable = keys.flatMap((k) => (k ? [k] : []));
    const found = await opts.cache.getMany<Entry<T>>(cacheable);
    const byKey = new Map(cacheable.map((k, i) => [k, found[i]]));
    const need = requiredSeq();
    const answers: (T | undefined)[] = keys.map((k) => {
      const entry = k ? byKey.get(k) : undefined;
      return entry && entry.seq >= need ? entry.rows : undefined;
    });
    const missing = parents.filter((_, i) => answers[i] === undefined);
    if (missing.length === 0) return answers as T[];
    const seq = opts.appliedSeq();
    const loaded = await load(missing);
    let j = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < parents.length; i += 1) {
      if (answers[i] !== undefined) continue;
      const rows = loaded[j++]!;
      answers[i] = rows;
      if (keys[i]) writes.push(opts.cache.set(keys[i]!, { seq, rows } satisfies Entry<T>, ttl));
    }
    await Promise.all(writes);
    return answers as T[];
  }

  /** The unfiltered first page of a hot list, or undefined when this page is not served from the cache. */
  const pageKey = (list: ListName, q: PageQuery): string | undefined => {
    const hot = CACHED_PAGES[list];
    const filtered = q.filter && Object.values(q.filter).some((v) => v !== undefined);
    if (!hot || filtered || (q.after && q.after.length) || q.first > CACHED_PAGE || q.parent?.length !== 1)
      return undefined;
    return campaignCacheKey(q.campaignId, buildEntityListKey(...hot.family, q.parent[0]!, q.branchId));
  };
  const spatial = <T>(
    q: { campaignId: string; branchId: string },
    queryType: string,
    params: ReadonlyArray<number | string>,
    load: () => Promise<T>,
  ): Promise<T> =>
    cachedSpatial(
      { cache: opts.cache, ttlSeconds: opts.ttls.spatial, appliedSeq: opts.appliedSeq },
      { campaignId: q.campaignId, branchId: q.branchId, queryType, params },
      requiredSeq(),
      load,
    );
  const cut = <R>(page: Page<R>, first: number): Page<R> => ({
    edges: page.edges.slice(0, first),
    hasNextPage: page.edges.length > first || page.hasNextPage,
  });

  const cached: Partial<ReadModel> = {
    settlementsByParents: (parents) =>
      through<(typeof parents)[number], SettlementRow[]>(
        parents,
        // Only the plain list of a kingdom is a cache entry; filtered lists go to the read model.
        (p) =>
          p.kingdomId && !p.locationId && Object.keys(p).length === 3
            ? campaignCacheKey(
                p.campaignId,
                buildEntityListKey(...LIST_FAMILIES.settlementsOfKingdom, p.kingdomId, p.branchId),
              )
            : undefined,
        opts.ttls.settlements,
        (missing) => base.settlementsByParents(missing),
      ),
    structuresBySettlements: (parents) =>
      through<(typeof parents)[number], StructureRow[]>(
        parents,
        (p) =>
          Object.keys(p).length === 3
            ? campaignCacheKey(
                p.campaignId,
                buildEntityListKey(...LIST_FAMILIES.structuresOfSettlement, p.settlementId, p.branchId),
              )
            : undefined,
        opts.ttls.structures,
        (missing) => base.structuresBySettlements(missing),
      ),
    listPages: (async (list: ListName, queries: readonly PageQuery[]) => {
      const hot = CACHED_PAGES[list];
      if (!hot || queries.every((q) => pageKey(list, q) === undefined)) return base.listPages(list, queries);
      const pages = await through<PageQuery, Page<unknown>>(
        queries,
        (q) => pageKey(list, q),
        opts.ttls[hot.ttl],
        // A miss of a cacheable page loads the whole cached page size, so the entry serves any smaller `first`.
        (missing) =>
          base.listPages(
            list,
            missing.map((q) => (pageKey(list, q) ? { ...q, first: CACHED_PAGE } : q)),
          ),
      );
      return pages.map((page, i) => (pageKey(list, queries[i]!) ? cut(page, queries[i]!.first) : page));
    }) as ReadModel['listPages'],
    // Spatial answers under `spatial:{queryType}:{params...}:{branch}`; a settlement or location change of the branch
    // removes them all (invalidation.ts).
    settlementsWithinRadius: (q) =>
      spatial(q, 'settlements-within-radius', [q.center.lon, q.center.lat, q.meters, q.first], () =>
        base.settlementsWithinRadius(q),
      ),
    settlementsInBox: (q) =>
      spatial(q, 'settlements-in-box', [q.box.minLon, q.box.minLat, q.box.maxLon, q.box.maxLat, q.first], () =>
        base.settlementsInBox(q),
      ),
    locationsInBox: (q) =>
      spatial(q, 'locations-in-box', [q.box.minLon, q.box.minLat, q.box.maxLon, q.box.maxLat, q.first], () =>
        base.locationsInBox(q),
      ),
    settlementsInRegion: (q) =>
      spatial(q, 'settlements-in-region', [q.regionId, q.first], () => base.settlementsInRegion(q)),
    nearestSettlements: (q) =>
      spatial(q, 'nearest-settlements', [q.center.lon, q.center.lat, q.count], () => base.nearestSettlements(q)),
  };
  return new Proxy(base, {
    get: (target, prop, receiver) =>
      prop in cached ? cached[prop as keyof ReadModel] : Reflect.get(target, prop, receiver),
  });
}
