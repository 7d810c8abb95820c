import { buildComputedFieldsKey, buildEntityListKey, campaignCacheKey, type AnyEvent } from '@cm/contracts';
import { computedFieldsMarkKey } from './computed-fields-cache.js';

/*
 * Which cache entries an event makes wrong, as a pure function of the event and a few facts about its entity's
 * parents that the event does not carry (a rename names no kingdom). The adapter (cache-invalidator.ts) looks
 * the facts up in the read model; a fact it cannot find (the entity is not projected yet, or gone) is `null`,
 * and the answer widens to a pattern over the campaign branch: an extra miss is cheap, a stale entry is wrong.
 *
 * Keys and patterns are campaign-scoped (`campaign:{campaignId}:...`) and end in the branch, so nothing here
 * reaches another campaign or another branch.
 *
 * Computed fields follow the rules service's own invalidation (rules-service/src/rules-state.ts), without its
 * knowledge of which condition reads what: an entity change or a variable change drops the entity's computed
 * fields, those of the parents that aggregate it (a settlement's kingdom and location, a structure's settlement,
 * the campaign of a kingdom, location or world event) and those of the children that may read it as `parent.`
 * (a settlement's structures, a kingdom's settlements, a campaign's kingdoms, locations and world events).
 */

/** A fact about the event's entity the event itself does not carry. */
export type FactNeed =
  | { kind: 'settlement-kingdom'; settlementId: string }
  | { kind: 'kingdom-settlements'; kingdomId: string }
  | { kind: 'structure-settlement'; structureId: string }
  | { kind: 'condition-entity-type'; conditionId: string };

/**
 * The looked-up answer to `factNeeded`: the parent id (a settlement's kingdom, a structure's settlement) or a
 * condition's entity type, and for settlements and kingdoms their location and children; a string is the parent
 * alone. Anything `null` or absent the read model does not know.
 */
export type Fact = string | null | Facts;

export interface Facts {
  parent?: string | null;
  /** A settlement's location. */
  location?: string | null;
  /** The children that read the entity as `parent.`: a settlement's structures, a kingdom's settlements. */
  children?: readonly string[] | null;
}

export interface Invalidation {
  /** Exact keys to delete. */
  keys: string[];
  /** Redis globs to delete with SCAN. */
  patterns: string[];
  /**
   * Computed-field marks to raise to the event's sequence before anything is deleted (computed-fields-cache.ts):
   * a reader's answer evaluated before the event is then never written back.
   */
  marks: string[];
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
    case 'SettlementDeleted':
      return { kind: 'settlement-kingdom', settlementId: event.entityId };
    case 'KingdomRenamed':
    case 'KingdomDeleted':
      return { kind: 'kingdom-settlements', kingdomId: event.entityId };
    case 'StateVariableSet':
    case 'StateVariableUnset':
      if (event.data.ownerType === 'settlement')
        return { kind: 'settlement-kingdom', settlementId: event.data.ownerId };
      if (event.data.ownerType === 'structure')
        return { kind: 'structure-settlement', structureId: event.data.ownerId };
      if (event.data.ownerType === 'kingdom') return { kind: 'kingdom-settlements', kingdomId: event.data.ownerId };
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
  const facts: Facts = typeof fact === 'string' || fact === null ? { parent: fact } : fact;
  const parentFact = facts.parent ?? null;
  const { campaignId, branchId: branch } = event;
  const keys: string[] = [];
  const patterns: string[] = [];
  const key = (k: string) => keys.push(campaignCacheKey(campaignId, k));
  const pattern = (p: string) => patterns.push(campaignCacheKey(campaignId, p));
  const computed = (type: string, id: string) => key(buildComputedFieldsKey(type, id, branch));
  /** Every computed field of a type in the branch: when the ids are not known. */
  const everyComputed = (type: string) => pattern(buildComputedFieldsKey(type, '*', branch));
  const list = ([child, parent]: readonly [string, string], parentId: string) =>
    key(buildEntityListKey(child, parent, parentId, branch));
  /** Every list of one family in the branch: when the parent is not known. */
  const everyList = ([child, parent]: readonly [string, string]) =>
    pattern(buildEntityListKey(child, parent, '*', branch));
  const spatialOfBranch = () => pattern(`spatial:*:${branch}`);
  /** The children that may read the entity as `parent.`, by id when the read model listed them. */
  const children = (childType: string) => {
    if (facts.children) for (const id of facts.children) computed(childType, id);
    else everyComputed(childType);
  };
  /** A settlement changed: its kingdom (`kingdomId`, or the fact) and location aggregate it, its structures read it. */
  const settlementWithKingdom = (
    settlementId: string,
    kingdomId: string | null,
    locationId: string | null,
    withChildren: boolean,
  ) => {
    computed('settlement', settlementId);
    if (kingdomId) {
      list(LIST_FAMILIES.settlementsOfKingdom, kingdomId);
      computed('kingdom', kingdomId);
    } else {
      everyList(LIST_FAMILIES.settlementsOfKingdom);
      everyComputed('kingdom');
    }
    if (locationId) computed('location', locationId);
    else everyComputed('location');
    if (withChildren) children('structure');
  };
  const structureWithSettlement = (structureId: string, settlementId: string | null) => {
    computed('structure', structureId);
    if (settlementId) {
      computed('settlement', settlementId);
      list(LIST_FAMILIES.structuresOfSettlement, settlementId);
    } else {
      everyComputed('settlement');
      everyList(LIST_FAMILIES.structuresOfSettlement);
    }
  };
  /** An entity whose parent is the campaign (kingdom, location, world event): the campaign aggregates it. */
  const ofCampaign = (type: string, id: string) => {
    computed(type, id);
    computed('campaign', campaignId);
  };

  switch (event.type) {
    case 'SettlementCreated':
      settlementWithKingdom(event.entityId, event.data.kingdomId, event.data.locationId, false);
      spatialOfBranch();
      break;
    case 'SettlementDeleted':
      settlementWithKingdom(event.entityId, event.data.kingdomId, facts.location ?? null, true);
      list(LIST_FAMILIES.structuresOfSettlement, event.entityId);
      spatialOfBranch();
      break;
    case 'SettlementMoved':
      // The location it left is not known any more (the read model has applied the move): every location's.
      settlementWithKingdom(event.entityId, parentFact, null, true);
      spatialOfBranch();
      break;
    case 'SettlementRenamed':
    case 'SettlementLevelSet':
      settlementWithKingdom(event.entityId, parentFact, facts.location ?? null, true);
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
      structureWithSettlement(event.entityId, parentFact);
      break;

    case 'StateVariableSet':
    case 'StateVariableUnset': {
      const { ownerType, ownerId } = event.data;
      computed(ownerType, ownerId);
      // The parents aggregate their children's variables (a kingdom's total of its settlements' ...), and the
      // children read their parent's (`parent.variables.<key>`).
      if (ownerType === 'settlement') {
        if (parentFact) computed('kingdom', parentFact);
        else everyComputed('kingdom');
        if (facts.location) computed('location', facts.location);
        else everyComputed('location');
        children('structure');
      } else if (ownerType === 'structure') {
        if (parentFact) computed('settlement', parentFact);
        else everyComputed('settlement');
      } else if (ownerType === 'kingdom') {
        computed('campaign', campaignId);
        children('settlement');
      } else if (ownerType === 'location' || ownerType === 'world-event') {
        computed('campaign', campaignId);
      } else if (ownerType === 'campaign') {
        for (const type of ['kingdom', 'location', 'world-event']) everyComputed(type);
      }
      break;
    }

    case 'LocationCreated':
    case 'LocationRenamed':
    case 'LocationDeleted':
      ofCampaign('location', event.entityId);
      spatialOfBranch();
      break;
    case 'LocationReshaped': // geometry: no expression reads it
      spatialOfBranch();
      break;

    case 'FieldConditionDefined':
      everyComputed(event.data.entityType);
      break;
    case 'FieldConditionUpdated':
    case 'FieldConditionDeleted':
      everyComputed(parentFact ?? '*');
      break;

    case 'KingdomCreated': // no cached list of kingdoms
      ofCampaign('kingdom', event.entityId);
      break;
    case 'KingdomRenamed':
      ofCampaign('kingdom', event.entityId);
      children('settlement');
      break;
    case 'KingdomDeleted':
      ofCampaign('kingdom', event.entityId);
      children('settlement');
      list(LIST_FAMILIES.settlementsOfKingdom, event.entityId);
      break;

    case 'WorldEventScheduled':
    case 'WorldEventActivated':
    case 'WorldEventExpired':
    case 'WorldEventResolved': // its effects arrive as StateVariable events of their own
      ofCampaign('world-event', event.entityId);
      break;

    case 'CampaignRenamed':
    case 'CampaignArchived':
      computed('campaign', campaignId);
      for (const type of ['kingdom', 'location', 'world-event']) everyComputed(type);
      break;

    case 'BranchDeleted':
      // The branch is the entity; the event itself is written in it or its parent, so take the entity id.
      patterns.push(campaignCacheKey(campaignId, `*:${event.entityId}`));
      return { keys, patterns, marks: [] };

    case 'CampaignCreated': // nothing of it is cached yet
    case 'MemberAdded':
    case 'MemberRoleChanged':
    case 'MemberRemoved':
    case 'BranchForked': // a new branch has no entries yet
    case 'BranchRenamed':
      break;
    default: {
      const never: never = event;
      throw new Error(`no cache invalidation rule for ${(never as AnyEvent).type}`);
    }
  }
  const touchesComputed = [...keys, ...patterns].some((k) => k.includes(':computed-fields:'));
  return { keys, patterns, marks: touchesComputed ? [computedFieldsMarkKey(campaignId, branch)] : [] };
}
