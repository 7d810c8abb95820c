import type { OwnerType, Role } from '@cm/contracts';
import type { ListName, ListQuery, ListRow, Page, PageQuery } from './lists.js';
import type { BoxQuery, NearestQuery, RadiusQuery, RegionQuery } from './postgres-spatial.js';
import type { RowOf } from './tables.js';

/** Where a branch-scoped row lives. */
export interface Scope {
  campaignId: string;
  branchId: string;
}

/** One entity of a campaign branch (kingdom, location, ...). */
export interface EntityKey extends Scope {
  id: string;
}

/** One branch of a campaign. */
export interface BranchRef {
  campaignId: string;
  id: string;
}

/** The owner of state variables. */
export interface OwnerKey extends Scope {
  ownerType: OwnerType;
  ownerId: string;
}

// Row types derive from the table declarations (tables.ts): the columns in domain spelling, `seq` for `last_seq`.
export type CampaignRow = RowOf<'campaign'>;
export type MemberRow = RowOf<'campaign_member'>;
export type BranchRow = RowOf<'branch'>;
export type KingdomRow = RowOf<'kingdom'>;
/** `geometry`: GeoJSON as stored (Point or Polygon, SRID 4326). */
export type LocationRow = RowOf<'location'>;
export type SettlementRow = RowOf<'settlement'>;
export type StructureRow = RowOf<'structure'>;
/** `value`: `{ type, value }` exactly as the command carried it. */
export type StateVariableRow = RowOf<'state_variable'>;
export type FieldConditionRow = RowOf<'field_condition'>;
/** Timestamps as ISO-8601 UTC with milliseconds. */
export type WorldEventRow = RowOf<'world_event'>;

/**
 * What the GraphQL API reads from the Postgres read model. Rows are plain objects in domain spelling
 * (`owner-type` values like `world-event`, roles like `gm`); tombstoned rows (`deleted = true`) are never
 * returned. `seq` is the row's `last_seq`. Every `...ByKeys` method answers in the order of its keys, with
 * `null` for a missing row, so it can back a DataLoader directly.
 */
export interface ReadModel {
  campaignsByIds(ids: readonly string[]): Promise<(CampaignRow | null)[]>;
  /** Campaigns the user is a (non-removed) member of, by name. */
  campaignsOfUser(userId: string): Promise<CampaignRow[]>;
  /** Members of each campaign, in key order. */
  membersByCampaigns(campaignIds: readonly string[]): Promise<MemberRow[][]>;
  /** The user's role in each campaign, or null; keys are `{ campaignId, userId }`. */
  rolesByKeys(keys: readonly { campaignId: string; userId: string }[]): Promise<(Role | null)[]>;

  branchesByCampaigns(campaignIds: readonly string[]): Promise<BranchRow[][]>;
  branchesByKeys(keys: readonly BranchRef[]): Promise<(BranchRow | null)[]>;

  kingdomsByKeys(keys: readonly EntityKey[]): Promise<(KingdomRow | null)[]>;
  kingdomsByScopes(scopes: readonly Scope[]): Promise<KingdomRow[][]>;

  locationsByKeys(keys: readonly EntityKey[]): Promise<(LocationRow | null)[]>;
  locationsByScopes(scopes: readonly Scope[]): Promise<LocationRow[][]>;

  settlementsByKeys(keys: readonly EntityKey[]): Promise<(SettlementRow | null)[]>;
  /** `kingdomId`/`locationId` absent: every settlement of the branch. */
  settlementsByParents(
    parents: readonly (Scope & { kingdomId?: string; locationId?: string })[],
  ): Promise<SettlementRow[][]>;

  structuresByKeys(keys: readonly EntityKey[]): Promise<(StructureRow | null)[]>;
  structuresBySettlements(parents: readonly (Scope & { settlementId: string })[]): Promise<StructureRow[][]>;

  variablesByKeys(keys: readonly (OwnerKey & { key: string })[]): Promise<(StateVariableRow | null)[]>;
  variablesByOwners(owners: readonly OwnerKey[]): Promise<StateVariableRow[][]>;
  /** Every variable of a campaign branch. */
  variablesByScopes(scopes: readonly Scope[]): Promise<StateVariableRow[][]>;

  fieldConditionsByKeys(keys: readonly EntityKey[]): Promise<(FieldConditionRow | null)[]>;
  fieldConditionsByScopes(
    scopes: readonly (Scope & { entityType?: OwnerType; entityId?: string })[],
  ): Promise<FieldConditionRow[][]>;

  worldEventsByKeys(keys: readonly EntityKey[]): Promise<(WorldEventRow | null)[]>;
  worldEventsByScopes(scopes: readonly Scope[]): Promise<WorldEventRow[][]>;

  /**
   * One page per query of a declared list (lists.ts), in query order, from one statement whatever the number of
   * queries: each query's rows after its cursor (`after`, the sort key of the last row seen), at most `first`.
   */
  listPages<L extends ListName>(list: L, queries: readonly PageQuery[]): Promise<Page<ListRow<L>>[]>;
  /** How many rows each query's list holds with its filters (cursor ignored), in query order, from one statement. */
  listCounts(list: ListName, queries: readonly ListQuery[]): Promise<number[]>;

  // Spatial queries (postgres-spatial.ts says how each measures); their answers are what `spatial:` keys cache.
  settlementsWithinRadius(query: RadiusQuery): Promise<SettlementRow[]>;
  settlementsInBox(query: BoxQuery): Promise<SettlementRow[]>;
  locationsInBox(query: BoxQuery): Promise<LocationRow[]>;
  settlementsInRegion(query: RegionQuery): Promise<SettlementRow[]>;
  nearestSettlements(query: NearestQuery): Promise<SettlementRow[]>;

  /** The last stream sequence the named projection has committed (0 if none). */
  checkpoint(projection: string): Promise<number>;
}
