import {
  ownerTypeEnum,
  variableTypeEnum,
  type OwnerType,
  type VariableValue,
  type WorldEventEffect,
} from '@cm/contracts';
import { requireBranch } from '../access.js';
import { loadConnection, type PageArgs } from '../connections.js';
import type { Connection } from '../connections.js';
import type { GraphQLContext } from '../graphql-context.js';
import type {
  CampaignRow,
  KingdomRow,
  LocationRow,
  SettlementRow,
  StateVariableRow,
  StructureRow,
  WorldEventRow,
} from '../../read-model/read-model.port.js';

type ListArgs = PageArgs & { filter?: Record<string, unknown> | null };
type BranchArgs = ListArgs & { branchId: string };
type Scoped = { campaignId: string; branchId: string; id: string };

/** The variables an entity owns: `ownerType` follows from the GraphQL type the field sits on. */
const variablesOf =
  (ownerType: OwnerType) =>
  (row: Scoped, args: PageArgs, ctx: GraphQLContext): Promise<Connection<StateVariableRow>> =>
    loadConnection(ctx, 'variablesOfOwner', row, args, [ownerType, row.id]);

const toGraphQL = <T extends Record<string, string>>(map: T) =>
  Object.fromEntries(Object.entries(map).map(([name, value]) => [value, name])) as Record<T[keyof T], keyof T>;
const ownerTypeName = toGraphQL(ownerTypeEnum);
const variableTypeName = toGraphQL(variableTypeEnum);

/**
 * World event effects are a JSON field, so no enum mapping applies to them; we write them back in the
 * spelling clients send them in (`EffectInput`: `SETTLEMENT`, `NUMBER`), not in the domain's.
 */
export function effectToGraphQL(effect: WorldEventEffect) {
  const value: VariableValue = effect.value;
  return {
    ownerType: ownerTypeName[effect.ownerType],
    ownerId: effect.ownerId,
    key: effect.key,
    value: { type: variableTypeName[value.type], value: value.value },
  };
}

/** A campaign field that takes a branch: the branch must exist (see `requireBranch`), then `load` reads in it. */
function inBranch<T>(
  load: (ctx: GraphQLContext, scope: { campaignId: string; branchId: string }, args: BranchArgs) => Promise<T>,
) {
  return async (c: CampaignRow, args: BranchArgs, ctx: GraphQLContext): Promise<T> => {
    await requireBranch(ctx, c.id, args.branchId);
    return load(ctx, { campaignId: c.id, branchId: args.branchId }, args);
  };
}

/**
 * Fields the rows do not carry as they are. Everything a nested field loads goes through the request's
 * loaders, so sibling parents share one read-model round trip per level.
 */
export const entityResolvers = {
  Campaign: {
    members: (c: CampaignRow, _: unknown, ctx: GraphQLContext) => ctx.loaders.members.load(c.id),
    myRole: (c: CampaignRow, _: unknown, ctx: GraphQLContext) =>
      ctx.loaders.role.load({ campaignId: c.id, userId: ctx.principal.userId }),
    branches: (c: CampaignRow, _: unknown, ctx: GraphQLContext) => ctx.loaders.branches.load(c.id),
    kingdoms: inBranch((ctx, scope, args) => loadConnection(ctx, 'kingdomsOfBranch', scope, args)),
    locations: inBranch((ctx, scope, args) => loadConnection(ctx, 'locationsOfBranch', scope, args)),
    worldEvents: inBranch((ctx, scope, args) => loadConnection(ctx, 'worldEventsOfBranch', scope, args)),
    fieldConditions: inBranch((ctx, scope, args) => loadConnection(ctx, 'fieldConditionsOfBranch', scope, args)),
    // The campaign's own variables (owner type CAMPAIGN), like `variables` on every other entity.
    variables: inBranch((ctx, scope, args) =>
      loadConnection(ctx, 'variablesOfOwner', scope, args, ['campaign', scope.campaignId]),
    ),
  },
  Kingdom: {
    settlements: (k: KingdomRow, args: ListArgs, ctx: GraphQLContext) =>
      loadConnection(ctx, 'settlementsOfKingdom', k, args, [k.id]),
    variables: variablesOf('kingdom'),
  },
  Location: {
    settlements: (l: LocationRow, args: ListArgs, ctx: GraphQLContext) =>
      loadConnection(ctx, 'settlementsOfLocation', l, args, [l.id]),
    variables: variablesOf('location'),
  },
  Settlement: {
    kingdom: (s: SettlementRow, _: unknown, ctx: GraphQLContext) =>
      ctx.loaders.kingdom.load({ campaignId: s.campaignId, branchId: s.branchId, id: s.kingdomId }),
    location: (s: SettlementRow, _: unknown, ctx: GraphQLContext) =>
      ctx.loaders.location.load({ campaignId: s.campaignId, branchId: s.branchId, id: s.locationId }),
    structures: (s: SettlementRow, args: ListArgs, ctx: GraphQLContext) =>
      loadConnection(ctx, 'structuresOfSettlement', s, args, [s.id]),
    variables: variablesOf('settlement'),
  },
  Structure: {
    settlement: (s: StructureRow, _: unknown, ctx: GraphQLContext) =>
      ctx.loaders.settlement.load({ campaignId: s.campaignId, branchId: s.branchId, id: s.settlementId }),
    variables: variablesOf('structure'),
  },
  StateVariable: {
    type: (v: StateVariableRow) => v.value.type,
    value: (v: StateVariableRow) => v.value.value,
  },
  WorldEvent: {
    effects: (w: WorldEventRow) => w.effects.map(effectToGraphQL),
  },
};
