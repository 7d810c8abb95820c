/**
 * Cache keys as the original system named them; operators grep for these shapes, so they are contract.
 * Keys are namespaced per branch as their last token, so a branch can be invalidated with one pattern.
 */

/** `computed-fields:{entityType}:{entityId}:{branchId}` (TTL 300 s). */
export function buildComputedFieldsKey(entityType: string, entityId: string, branchId: string): string {
  return `computed-fields:${entityType}:${entityId}:${branchId}`;
}

/** `{childType}:{parentType}:{parentId}:{branchId}`, e.g. `structures:settlement:s1:main` (TTL 600 s). */
export function buildEntityListKey(childType: string, parentType: string, parentId: string, branchId: string): string {
  return `${childType}:${parentType}:${parentId}:${branchId}`;
}

/**
 * Normalises spatial parameters so that equal queries share a key despite floating-point noise: fractional
 * numbers are written with exactly 6 decimals (about 0.1 m at the equator), integers and strings as they are.
 */
export function normalizeSpatialParams(...params: Array<number | string>): string[] {
  return params.map((p) => (typeof p === 'number' ? (Number.isInteger(p) ? String(p) : p.toFixed(6)) : p));
}

/** `spatial:{queryType}:{params...}:{branchId}` (TTL 300 s). */
export function buildSpatialQueryKey(
  queryType: string,
  params: ReadonlyArray<number | string>,
  branchId: string,
): string {
  return ['spatial', queryType, ...normalizeSpatialParams(...params), branchId].join(':');
}

/** Default TTLs in seconds, from the seeds. */
export const CacheTtl = { computedFields: 300, entityList: 600, spatial: 300 } as const;

/**
 * The Redis key of a cache entry: the seeds' key inside its campaign, `campaign:{campaignId}:{key}`. Ids are
 * unique only inside a campaign and every campaign has a branch `main`, so without the campaign two campaigns'
 * `computed-fields:settlement:s1:main` would be one entry, and a branch's invalidation would reach every campaign.
 */
export function campaignCacheKey(campaignId: string, key: string): string {
  return `campaign:${campaignId}:${key}`;
}

/** The family of a key from the builders above (`computed-fields`, `spatial`, `settlements`, ...), for statistics. */
export function cacheFamilyOf(key: string): string {
  const inCampaign = key.startsWith('campaign:') ? key.slice(key.indexOf(':', 'campaign:'.length) + 1) : key;
  const end = inCampaign.indexOf(':');
  return end < 0 ? inCampaign : inCampaign.slice(0, end);
}
