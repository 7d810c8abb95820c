import DataLoader from 'dataloader';
import type { OwnerType, Role } from '@cm/contracts';
import type { ListName, ListQuery, Page, PageQuery } from '../read-model/lists.js';
import type {
  BranchRef,
  BranchRow,
  CampaignRow,
  EntityKey,
  FieldConditionRow,
  KingdomRow,
  LocationRow,
  MemberRow,
  OwnerKey,
  ReadModel,
  Scope,
  SettlementRow,
  StateVariableRow,
  StructureRow,
  WorldEventRow,
} from '../read-model/read-model.port.js';

/**
 * Cache key of a key object: JSON with sorted property names, so `{a, b}` and `{b, a}` share an entry.
 * Absent and `undefined` properties drop out alike, which is what optional filters need.
 */
export function keyOf(key: unknown): string {
  if (key === null || typeof key !== 'object') return JSON.stringify(key);
  return JSON.stringify(key, Object.keys(key).sort());
}

/**
 * Cache key of a list query. `keyOf`'s sorted key list would also filter the keys of the nested `filter`, so two
 * filters would share an entry; this spells every part out.
 */
function listKey(q: ListQuery & { first?: number; after?: readonly string[] | null }): string {
  const filter = q.filter ? Object.entries(q.filter).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  return JSON.stringify([q.campaignId, q.branchId, q.parent ?? null, q.first ?? null, q.after ?? null, filter]);
}

/** Batch functions get readonly arrays from DataLoader; the read model promises one answer per key. */
function loader<K, V>(batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V, string> {
  return new DataLoader<K, V, string>((keys) => batch(keys), { cacheKeyFn: keyOf });
}

export type RoleKey = { campaignId: string; userId: string };
export type SettlementParent = Scope & { kingdomId?: string; locationId?: string };
export type StructureParent = Scope & { settlementId: string };
export type VariableKey = OwnerKey & { key: string };
export type FieldConditionFilter = Scope & { entityType?: OwnerType; entityId?: string };

/**
 * One DataLoader per read-model method, made per request: rows are cached for the request only (so a
 * permission or a write is never served stale to someone else) and a nested query costs one round trip per
 * level, not one per parent.
 */
export function createLoaders(rm: ReadModel) {
  const loaders = {
    campaign: loader<string, CampaignRow | null>((ids) => rm.campaignsByIds(ids)),
    members: loader<string, MemberRow[]>((ids) => rm.membersByCampaigns(ids)),
    role: loader<RoleKey, Role | null>((keys) => rm.rolesByKeys(keys)),

    branch: loader<BranchRef, BranchRow | null>((keys) => rm.branchesByKeys(keys)),
    branches: loader<string, BranchRow[]>((ids) => rm.branchesByCampaigns(ids)),

    kingdom: loader<EntityKey, KingdomRow | null>((keys) => rm.kingdomsByKeys(keys)),
    kingdoms: loader<Scope, KingdomRow[]>((scopes) => rm.kingdomsByScopes(scopes)),

    location: loader<EntityKey, LocationRow | null>((keys) => rm.locationsByKeys(keys)),
    locations: loader<Scope, LocationRow[]>((scopes) => rm.locationsByScopes(scopes)),

    settlement: loader<EntityKey, SettlementRow | null>((keys) => rm.settlementsByKeys(keys)),
    settlements: loader<SettlementParent, SettlementRow[]>((parents) => rm.settlementsByParents(parents)),

    structure: loader<EntityKey, StructureRow | null>((keys) => rm.structuresByKeys(keys)),
    structures: loader<StructureParent, StructureRow[]>((parents) => rm.structuresBySettlements(parents)),

    variable: loader<VariableKey, StateVariableRow | null>((keys) => rm.variablesByKeys(keys)),
    variables: loader<OwnerKey, StateVariableRow[]>((owners) => rm.variablesByOwners(owners)),

    fieldCondition: loader<EntityKey, FieldConditionRow | null>((keys) => rm.fieldConditionsByKeys(keys)),
    fieldConditions: loader<FieldConditionFilter, FieldConditionRow[]>((filters) =>
      rm.fieldConditionsByScopes(filters),
    ),

    worldEvent: loader<EntityKey, WorldEventRow | null>((keys) => rm.worldEventsByKeys(keys)),
    worldEvents: loader<Scope, WorldEventRow[]>((scopes) => rm.worldEventsByScopes(scopes)),
  };
  // Pages and counts of the declared lists, one loader per list, made when a request first reads that list.
  const pages = new Map<ListName, DataLoader<PageQuery, Page<unknown>, string>>();
  const counts = new Map<ListName, DataLoader<ListQuery, number, string>>();
  const lazily = <V>(map: Map<ListName, V>, list: ListName, make: () => V): V => {
    let l = map.get(list);
    if (!l) map.set(list, (l = make()));
    return l;
  };
  return {
    ...loaders,
    /** The request's read model itself, for the reads no loader batches (spatial queries): its floor applies. */
    readModel: rm,
    page: (list: ListName) =>
      lazily(
        pages,
        list,
        () => new DataLoader<PageQuery, Page<unknown>, string>((qs) => rm.listPages(list, qs), { cacheKeyFn: listKey }),
      ),
    count: (list: ListName) =>
      lazily(
        counts,
        list,
        () => new DataLoader<ListQuery, number, string>((qs) => rm.listCounts(list, qs), { cacheKeyFn: listKey }),
      ),
    /** Forgets every cached row: a mutation in this request has just changed what they may say. */
    clearAll(): void {
      for (const l of Object.values(loaders)) l.clearAll();
      for (const l of [...pages.values(), ...counts.values()]) l.clearAll();
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
