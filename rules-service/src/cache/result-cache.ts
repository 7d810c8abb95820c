import NodeCache from 'node-cache';
import type { ComputedFieldValue, OwnerType } from '@cm/contracts';

export interface ResultCacheOptions {
  maxKeys: number;
  ttlSeconds: number;
  checkPeriodSeconds: number;
}

/** A computed field's result as cached: exactly what the reply carries for it, so a hit allocates nothing. */
export type CachedResult = ComputedFieldValue;

/** Why entries were dropped, for `cm_rules_invalidations_total{reason}`. */
export type InvalidationReason = 'entity' | 'variable' | 'condition' | 'branch';

const SEP = '|';

/**
 * The per-instance result cache: node-cache keyed `<campaign>|<branch>|<type>|<id>|<field>` (ids never contain
 * `|`). Values are stored by reference (`useClones: false`): results are plain JSON nobody mutates, and cloning
 * would cost more than the evaluation it saves. The Redis `computed-fields:` cache of the read side sits in front
 * of the service, not here: this one must be exactly as fresh as the events this instance has applied.
 */
export class ResultCache {
  private readonly cache: NodeCache;
  hits = 0;
  misses = 0;
  /** Sets refused because the cache was full (node-cache throws past `maxKeys`). */
  full = 0;
  readonly invalidations: Record<InvalidationReason, number> = { entity: 0, variable: 0, condition: 0, branch: 0 };

  constructor(opts: ResultCacheOptions) {
    this.cache = new NodeCache({
      stdTTL: opts.ttlSeconds,
      checkperiod: opts.checkPeriodSeconds,
      maxKeys: opts.maxKeys,
      useClones: false,
      deleteOnExpire: true,
    });
  }

  static key(campaignId: string, branchId: string, type: OwnerType, id: string, field: string): string {
    return campaignId + SEP + branchId + SEP + type + SEP + id + SEP + field;
  }

  get(key: string): CachedResult | undefined {
    const v = this.cache.get<CachedResult>(key);
    if (v === undefined) this.misses++;
    else this.hits++;
    return v;
  }

  set(key: string, value: CachedResult): void {
    try {
      this.cache.set(key, value);
    } catch {
      // ECACHEFULL: the answer is still right, only not kept.
      this.full++;
    }
  }

  /** Drops the given keys; counts those that were present. */
  drop(keys: Iterable<string>, reason: InvalidationReason): number {
    let n = 0;
    for (const k of keys) n += this.cache.del(k);
    this.invalidations[reason] += n;
    return n;
  }

  /** Drops every key of a campaign branch, optionally only of one type and some fields. */
  dropWhere(
    campaignId: string,
    branchId: string,
    reason: InvalidationReason,
    type?: OwnerType,
    fields?: ReadonlySet<string>,
  ): number {
    const prefix = campaignId + SEP + branchId + SEP + (type ? type + SEP : '');
    const doomed = this.cache
      .keys()
      .filter((k) => k.startsWith(prefix) && (!fields || fields.has(k.slice(k.lastIndexOf(SEP) + 1))));
    return this.drop(doomed, reason);
  }

  keys(): string[] {
    return this.cache.keys();
  }

  get size(): number {
    return this.cache.getStats().keys;
  }

  close(): void {
    this.cache.close();
  }
}
