import type { Geometry, OwnerType, Role, VariableValue, WorldEventEffect } from '@cm/contracts';

/**
 * What the GraphQL API reads from the Postgres read model. Rows are plain objects in domain spelling
 * (`owner-type` values like `world-event`, roles like `gm`); tombstoned rows (`deleted = true`) are never
 * returned. `seq` is the row's `last_seq`. Every `...ByKeys` method answers in the order of its keys, with
 * `null` for a missing row, so it can back a DataLoader directly.
 */
export interface CampaignRow {
  id: string;
  name: string;
  description: string | null;
  ownerId: string;
  archived: boolean;
  seq: number;
}

export interface MemberRow {
  campaignId: string;
  userId: string;
  role: Role;
  seq: number;
}

export interface BranchRow {
  campaignId: string;
  id: string;
  name: string;
  parentBranchId: string | null;
  forkedAtSeq: number | null;
  seq: number;
}

/** Where a branch-scoped row lives. */
export interface Scope {
  campaignId: string;
  branchId: string;
}

export interface EntityKey extends Scope {
  id: string;
}

export interface KingdomRow extends EntityKey {
  name: string;
  seq: number;
}

export interface LocationRow extends EntityKey {
  name: string;
  /** GeoJSON as stored (Point or Polygon, SRID 4326). */
  geometry: Geometry;
  seq: number;
}

export interface SettlementRow extends EntityKey {
  kingdomId: string;
  locationId: string;
  name: string;
  level: number;
  seq: number;
}

export interface StructureRow extends EntityKey {
  settlementId: string;
  name: string;
  structureType: string;
  level: number;
  condition: number;
  seq: number;
}

export interface OwnerKey extends Scope {
  ownerType: OwnerType;
  ownerId: string;
}

export interface StateVariableRow extends OwnerKey {
  key: string;
  /** `{ type, value }` exactly as the command carried it. */
  value: VariableValue;
  seq: number;
}

export interface FieldConditionRow extends EntityKey {
  entityType: OwnerType;
  entityId: string | null;
  field: string;
  expression: unknown;
  priority: number;
  active: boolean;
  seq: number;
}

export interface WorldEventRow extends EntityKey {
  name: string;
  description: string | null;
  status: 'scheduled' | 'active' | 'expired' | 'resolved';
  scheduledAt: string;
  expiresAt: string | null;
  effects: WorldEventEffect[];
  outcome: string | null;
  seq: number;
}

export interface ReadModel {
  campaignsByIds(ids: readonly string[]): Promise<(CampaignRow | null)[]>;
  /** Campaigns the user is a (non-removed) member of, by name. */
  campaignsOfUser(userId: string): Promise<CampaignRow[]>;
  /** Members of each campaign, in key order. */
  membersByCampaigns(campaignIds: readonly string[]): Promise<MemberRow[][]>;
  /** The user's role in each campaign, or null; keys are `{ campaignId, userId }`. */
  rolesByKeys(keys: readonly { campaignId: string; userId: string }[]): Promise<(Role | null)[]>;

  branchesByCampaigns(campaignIds: readonly string[]): Promise<BranchRow[][]>;
  branchesByKeys(keys: readonly { campaignId: string; id: string }[]): Promise<(BranchRow | null)[]>;

  kingdomsByKeys(keys: readonly EntityKey[]): Promise<(KingdomRow | null)[]>;
  kingdomsByScopes(scopes: readonly Scope[]): Promise<KingdomRow[][]>;

  locationsByKeys(keys: readonly EntityKey[]): Promise<(LocationRow | null)[]>;
  locationsByScopes(scopes: readonly Scope[]): Promise<LocationRow[][]>;

  settlementsByKeys(keys: readonly EntityKey[]): Promise<(SettlementRow | null)[]>;
  /** `kingdomId`/`locationId` absent: every settlement of the branch. */
  settlementsByParents(parents: readonly (Scope & { kingdomId?: string; locationId?: string })[]): Promise<SettlementRow[][]>;

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

  /** The last stream sequence the named projection has committed (0 if none). */
  checkpoint(projection: string): Promise<number>;
}
