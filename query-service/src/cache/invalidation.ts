import { buildComputedFieldsKey, buildEntityListKey, campaignCacheKey, type AnyEvent } from '@cm/contracts';

/*
 * Which cache entries an event makes wrong, as a pure function of the event and a few facts about its entity's
 * parents that the event does not carry (a rename names no kingdom). The adapter (cache-invalidator.ts) looks
 * the facts up in the read model; a fact it cannot find (the entity is not projected yet, or gone) is `null`,
 * and the answer widens to a pattern over the campaign branch: an extra miss is cheap, a stale entry is wrong.
 *
 * Keys and patterns are campaign-scoped (`campaign:{campaignId}:...`) and end in the branch, so nothing here
 * reaches another campaign or another branch.
 */

/** A fact about the event's entity the event itself does not carry. */
export type FactNeed =
  | { kind: 'settlement-kingdom'; settlementId: string }
  | { kind: 'structure-settlement'; structureId: string }
  | { kind: 'condition-entity-type'; conditionId: string };

/** The looked-up answer to `factNeeded`: an id or entity type, or `null` when the read model does not know it. */
export type Fact = string | null;

export interface Invalidation {
  /** Exact keys to delete. */
  keys: string[];
  /** Redis globs to delete with SCAN. */
  patterns: string[];
}

/** Lists the cache holds, as `{childType}:{parentType}:...` families (contracts' `buildEntityListKey`). */
export const LIST_FAMILIES = {
  settlementsOfKingdom: ['settlements', 'kingdom'],
  structuresOfSettlement: ['structures', 'settlement'],
} as const;

/** The fact `invalidationOf` needs for this event, if any. */
export function factNeeded(event: AnyEvent): FactNeed | undefined {
  switch (event.type) {
    case 'SettlementRenamed':
    case 'SettlementLevelSet':
    case 'SettlementMoved':
      return { kind: 'settlement-kingdom', settlementId: event.entityId };
    case 'StructureRenamed':
    case 'StructureTypeSet':
    case 'StructureLevelSet':
    case 'StructureConditionSet':
      return { kind: 'structure-settlement', structureId: event.entityId };
    case 'StateVariableSet':
    case 'StateVariableUnset':
      if (event.data.ownerType === 'settlement')
        return { kind: 'settlement-kingdom', settlementId: event.data.ownerId };
      if (event.data.ownerType === 'structure')
        return { kind: 'structure-settlement', structureId: event.data.ownerId };
      return undefined;
    case 'FieldConditionUpdated':
    case 'FieldConditionDeleted':
      return { kind: 'condition-entity-type', conditionId: event.entityId };
    default:
      return undefined;
  }
}

/** The entries `event` makes wrong; `fact` answers `factNeeded(event)` (ignored when it needs none). */
export function invalidationOf(event: AnyEvent, fact: Fact = null): Invalidation {
  const { campaignId, branchId: branch } = event;
  const keys: string[] = [];
  const patterns: string[] = [];
  const key = (k: string) => keys.push(campaignCacheKey(campaignId, k));
  const pattern = (p: string) => patterns.push(campaignCacheKey(campaignId, p));
  const computed = (type: string, id: string) => key(buildComputedFieldsKey(type, id, branch));
  const list = ([child, parent]: readonly [string, string], parentId: string) =>
    key(buildEntityListKey(child, parent, parentId, branch));
  /** Every list of one family in the branch: when the parent is not known. */
  const everyList = ([child, parent]: readonly [string, string]) =>
    pattern(buildEntityListKey(child, parent, '*', branch));
  const spatialOfBranch = () => pattern(`spatial:*:${branch}`);
  const settlementWithKingdom = (settlementId: string, kingdomId: Fact) => {
    computed('settlement', settlementId);
    if (kingdomId) list(LIST_FAMILIES.settlementsOfKingdom, kingdomId);
    else everyList(LIST_FAMILIES.settlementsOfKingdom);
  };
  const structureWithSettlement = (structureId: string, settlementId: Fact) => {
    computed('structure', structureId);
    if (settlementId) {
      computed('settlement', settlementId);
      list(LIST_FAMILIES.structuresOfSettlement, settlementId);
    } else {
      pattern(buildComputedFieldsKey('settlement', '*', branch));
      everyList(LIST_FAMILIES.structuresOfSettlement);
    }
  };

  switch (event.type) {
    case 'SettlementCreated':
      settlementWithKingdom(event.entityId, event.data.kingdomId);
      spatialOfBranch();
      break;
    case 'SettlementDeleted':
      settlementWithKingdom(event.entityId, event.data.kingdomId);
      list(LIST_FAMILIES.structuresOfSettlement, event.entityId);
      spatialOfBranch();
      break;
    case 'SettlementRenamed':
    case 'SettlementLevelSet':
    case 'SettlementMoved':
      settlementWithKingdom(event.entityId, fact);
      spatialOfBranch();
      break;

    case 'StructureCreated':
    case 'StructureDeleted':
      structureWithSettlement(event.entityId, event.data.settlementId);
      break;
    case 'StructureRenamed':
    case 'StructureTypeSet':
    case 'StructureLevelSet':
    case 'StructureConditionSet':
      structureWithSettlement(event.entityId, fact);
      break;

    case 'StateVariableSet':
    case 'StateVariableUnset': {
      const { ownerType, ownerId } = event.data;
      computed(ownerType, ownerId);
      // The parent aggregates its children's variables (a kingdom's total of its settlements' ...).
      if (ownerType === 'settlement') {
        if (fact) computed('kingdom', fact);
        else pattern(buildComputedFieldsKey('kingdom', '*', branch));
      } else if (ownerType === 'structure') {
        if (fact) computed('settlement', fact);
        else pattern(buildComputedFieldsKey('settlement', '*', branch));
      } else if (ownerType === 'kingdom') {
        computed('campaign', campaignId);
      }
      break;
    }

    case 'LocationCreated':
    case 'LocationRenamed':
    case 'LocationReshaped':
    case 'LocationDeleted':
      spatialOfBranch();
      break;

    case 'FieldConditionDefined':
      pattern(buildComputedFieldsKey(event.data.entityType, '*', branch));
      break;
    case 'FieldConditionUpdated':
    case 'FieldConditionDeleted':
      pattern(buildComputedFieldsKey(fact ?? '*', '*', branch));
      break;

    case 'KingdomRenamed':
      computed('kingdom', event.entityId);
      break;
    case 'KingdomDeleted':
      computed('kingdom', event.entityId);
      list(LIST_FAMILIES.settlementsOfKingdom, event.entityId);
      break;

    case 'BranchDeleted':
      // The branch is the entity; the event itself is written in it or its parent, so take the entity id.
      patterns.push(campaignCacheKey(campaignId, `*:${event.entityId}`));
      break;

    case 'CampaignCreated':
    case 'CampaignRenamed':
    case 'CampaignArchived':
    case 'MemberAdded':
    case 'MemberRoleChanged':
    case 'MemberRemoved':
    case 'BranchForked': // a new branch has no entries yet
    case 'BranchRenamed':
    case 'KingdomCreated': // no cached list of kingdoms
    case 'WorldEventScheduled':
    case 'WorldEventActivated':
    case 'WorldEventExpired':
    case 'WorldEventResolved': // its effects arrive as StateVariable events of their own
      break;
    default: {
      const never: never = event;
      throw new Error(`no cache invalidation rule for ${(never as AnyEvent).type}`);
    }
  }
  return { keys, patterns };
}
