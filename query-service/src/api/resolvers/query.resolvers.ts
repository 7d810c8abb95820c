import type { OwnerType } from '@cm/contracts';
import { requireBranch, requireMember } from '../access.js';
import type { GraphQLContext } from '../graphql-context.js';
import type { EntityKey, Scope } from '../../read-model/read-model.port.js';

interface ReadArgs {
  minSeq?: number | null;
}
type ScopeArgs = ReadArgs & { campaignId: string; branchId: string };
type ByIdArgs = ScopeArgs & { id: string };

/** A branch-scoped by-id lookup: wait, require membership, load (`null` for an entity that does not exist). */
function byId<T>(load: (ctx: GraphQLContext, key: EntityKey) => Promise<T | null>) {
  return async (_: unknown, { campaignId, branchId, id, minSeq }: ByIdArgs, ctx: GraphQLContext): Promise<T | null> => {
    await ctx.readAfter(minSeq);
    await requireMember(ctx, campaignId);
    await requireBranch(ctx, campaignId, branchId);
    return load(ctx, { campaignId, branchId, id });
  };
}

/** A branch-scoped list: wait, require membership, load. */
function list<A extends ScopeArgs, T>(load: (ctx: GraphQLContext, scope: Scope, args: A) => Promise<T[]>) {
  return async (_: unknown, args: A, ctx: GraphQLContext): Promise<T[]> => {
    await ctx.readAfter(args.minSeq);
    await requireMember(ctx, args.campaignId);
    await requireBranch(ctx, args.campaignId, args.branchId);
    return load(ctx, { campaignId: args.campaignId, branchId: args.branchId }, args);
  };
}

/** `Query`: every read starts here; nested fields trust a parent that was authorised on the way in. */
export const queryResolvers = {
  Query: {
    me: (_: unknown, __: unknown, ctx: GraphQLContext) => ({ id: ctx.principal.userId }),

    campaigns: async (_: unknown, { minSeq }: ReadArgs, ctx: GraphQLContext) => {
      await ctx.readAfter(minSeq);
      const rows = await ctx.services.readModel.campaignsOfUser(ctx.principal.userId);
      for (const row of rows) ctx.loaders.campaign.prime(row.id, row);
      return rows;
    },

    campaign: async (_: unknown, { id, minSeq }: ReadArgs & { id: string }, ctx: GraphQLContext) => {
      await ctx.readAfter(minSeq);
      await requireMember(ctx, id);
      return ctx.loaders.campaign.load(id);
    },

    branches: async (_: unknown, { campaignId, minSeq }: ReadArgs & { campaignId: string }, ctx: GraphQLContext) => {
      await ctx.readAfter(minSeq);
      await requireMember(ctx, campaignId);
      return ctx.loaders.branches.load(campaignId);
    },

    kingdom: byId((ctx, key) => ctx.loaders.kingdom.load(key)),
    kingdoms: list((ctx, scope) => ctx.loaders.kingdoms.load(scope)),
    location: byId((ctx, key) => ctx.loaders.location.load(key)),
    locations: list((ctx, scope) => ctx.loaders.locations.load(scope)),
    settlement: byId((ctx, key) => ctx.loaders.settlement.load(key)),
    settlements: list((ctx, scope, { kingdomId }: ScopeArgs & { kingdomId?: string | null }) =>
      ctx.loaders.settlements.load(kingdomId ? { ...scope, kingdomId } : scope),
    ),
    structure: byId((ctx, key) => ctx.loaders.structure.load(key)),
    structures: list((ctx, scope, { settlementId }: ScopeArgs & { settlementId: string }) => ctx.loaders.structures.load({ ...scope, settlementId })),
    variables: list((ctx, scope, { ownerType, ownerId }: ScopeArgs & { ownerType: OwnerType; ownerId: string }) =>
      ctx.loaders.variables.load({ ...scope, ownerType, ownerId }),
    ),
    fieldCondition: byId((ctx, key) => ctx.loaders.fieldCondition.load(key)),
    fieldConditions: list((ctx, scope, { entityType, entityId }: ScopeArgs & { entityType?: OwnerType | null; entityId?: string | null }) =>
      ctx.loaders.fieldConditions.load({ ...scope, ...(entityType ? { entityType } : {}), ...(entityId ? { entityId } : {}) }),
    ),
    worldEvent: byId((ctx, key) => ctx.loaders.worldEvent.load(key)),
    worldEvents: list((ctx, scope) => ctx.loaders.worldEvents.load(scope)),
  },
};
