import { buildComputedFieldsKey, campaignCacheKey, type ComputedFieldValue, type OwnerType } from '@cm/contracts';
import type { Cache } from './cache.port.js';

/** The entity whose computed fields are asked for. */
export interface ComputedFieldsOf {
  campaignId: string;
  branchId: string;
  entityType: OwnerType;
  entityId: string;
}

/** A cache entry: the fields and the stream sequence the rules service evaluated them at (`reply.seq`). */
export interface ComputedEntry {
  seq: number;
  fields: ComputedFieldValue[];
}

export interface ComputedFieldsCacheOptions {
  cache: Cache;
  /** `CACHE_COMPUTED_FIELDS_TTL`. */
  ttlSeconds: number;
}

/** `campaign:{campaignId}:computed-fields:{entityType}:{entityId}:{branchId}`. */
export const computedFieldsKey = (k: ComputedFieldsOf): string =>
  campaignCacheKey(k.campaignId, buildComputedFieldsKey(k.entityType, k.entityId, k.branchId));

/**
 * `campaign:{campaignId}:computed-fields-mark:{branchId}`: the highest stream sequence of an event that invalidated
 * computed fields of the campaign branch. The invalidator raises it before it deletes; a write-back of an answer
 * evaluated before that sequence is refused (see `cachedComputedFields`). A branch's deletion removes it with the
 * branch's entries.
 */
export const computedFieldsMarkKey = (campaignId: string, branchId: string): string =>
  campaignCacheKey(campaignId, `computed-fields-mark:${branchId}`);

/**
 * How long a mark outlives its last raise. It need only outlast a reader's round trip to the rules service (at
 * most `RULES_TIMEOUT_MS`, 60 s), but never less than an entry's life.
 */
export const markTtlSeconds = (computedFieldsTtl: number): number => Math.max(computedFieldsTtl, 120);

/**
 * The computed fields of `entities` through the cache: one MGET for all of them, `load` (the rules service) for
 * the misses only, and one write-back script for its answers. An entry below `requiredSeq` (the request's
 * read-your-writes target) is a miss, so a reader never gets a value older than its `minSeq`.
 *
 * The set-after-invalidation race (this reader gets a value at seq 10, event 11 deletes the entry, this reader
 * then writes its seq-10 value) cannot leave a stale entry: the invalidator raises the branch's mark to 11 before
 * it deletes, and the write-back stores an answer only if its seq is at or past the mark, checked and written in
 * one script.
 */
export async function cachedComputedFields(
  opts: ComputedFieldsCacheOptions,
  entities: readonly ComputedFieldsOf[],
  requiredSeq: number,
  load: (missing: readonly ComputedFieldsOf[]) => Promise<ComputedEntry[]>,
): Promise<ComputedFieldValue[][]> {
  const keys = entities.map(computedFieldsKey);
  const found = await opts.cache.getMany<ComputedEntry>(keys);
  const answers = found.map((e) => (e && e.seq >= requiredSeq ? e.fields : undefined));
  const missing = entities.filter((_, i) => answers[i] === undefined);
  if (missing.length === 0) return answers as ComputedFieldValue[][];
  const loaded = await load(missing);
  const writes = [];
  let j = 0;
  for (let i = 0; i < entities.length; i += 1) {
    if (answers[i] !== undefined) continue;
    const entry = loaded[j++]!;
    answers[i] = entry.fields;
    const { campaignId, branchId } = entities[i]!;
    writes.push({ key: keys[i]!, value: entry, seq: entry.seq, mark: computedFieldsMarkKey(campaignId, branchId) });
  }
  await opts.cache.setUnlessStale(writes, opts.ttlSeconds);
  return answers as ComputedFieldValue[][];
}
