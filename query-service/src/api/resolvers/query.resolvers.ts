import { AppError, ErrorCode, type OwnerType } from '@cm/contracts';
import { requireBranch, requireMember } from '../access.js';
import { loadConnection, MAX_PAGE_SIZE, type PageArgs } from '../connections.js';
import type { GraphQLContext } from '../graphql-context.js';
import type { EntityKey, Scope } from '../../read-model/read-model.port.js';

interface ReadArgs {
  minSeq?: number | null;
}
type ScopeArgs = ReadArgs & { campaignId: string; branchId: string };
type ListArgs = ScopeArgs & PageArgs & { filter?: Record<string, unknown> | null };
type SpatialArgs = ScopeArgs & { first?: number | null };
interface BoxArgs {
  box: { minLongitude: number; minLatitude: number; maxLongitude: number; maxLatitude: number };
}
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
function list<A extends ScopeArgs, T>(load: (ctx: GraphQLContext, scope: Scope, args: A) => Promise<T>) {
  return async (_: unknown, args: A, ctx: GraphQLContext): Promise<T> => {
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
    kingdoms: list((ctx, scope, args: ListArgs) => loadConnection(ctx, 'kingdomsOfBranch', scope, args)),
    location: byId((ctx, key) => ctx.loaders.location.load(key)),
    locations: list((ctx, scope, args: ListArgs) => loadConnection(ctx, 'locationsOfBranch', scope, args)),
    settlement: byId((ctx, key) => ctx.loaders.settlement.load(key)),
    settlements: list((ctx, scope, args: ListArgs & { kingdomId?: string | null }) =>
      args.kingdomId
        ? loadConnection(ctx, 'settlementsOfKingdom', scope, args, [args.kingdomId])
        : loadConnection(ctx, 'settlementsOfBranch', scope, args),
    ),
    structure: byId((ctx, key) => ctx.loaders.structure.load(key)),
    structures: list((ctx, scope, args: ListArgs & { settlementId: string }) =>
      loadConnection(ctx, 'structuresOfSettlement', scope, args, [args.settlementId]),
    ),
    variables: list((ctx, scope, args: ListArgs & { ownerType: OwnerType; ownerId: string }) =>
      loadConnection(ctx, 'variablesOfOwner', scope, args, [args.ownerType, args.ownerId]),
    ),
    fieldCondition: byId((ctx, key) => ctx.loaders.fieldCondition.load(key)),
    fieldConditions: list((ctx, scope, args: ListArgs & { entityType?: OwnerType | null; entityId?: string | null }) =>
      loadConnection(ctx, 'fieldConditionsOfBranch', scope, args, undefined, {
        ...(args.entityType ? { entityType: args.entityType } : {}),
        ...(args.entityId ? { entityId: args.entityId } : {}),
      }),
    ),
    worldEvent: byId((ctx, key) => ctx.loaders.worldEvent.load(key)),
    worldEvents: list((ctx, scope, args: ListArgs) => loadConnection(ctx, 'worldEventsOfBranch', scope, args)),

    settlementsWithinRadius: list(
      (ctx, scope, args: SpatialArgs & { longitude: number; latitude: number; meters: number }) => {
        if (!(args.meters >= 0))
          throw new AppError(ErrorCode.VALIDATION, 'meters must be a non-negative number', { argument: 'meters' });
        const center = lonLat(args.longitude, args.latitude);
        return ctx.loaders.readModel.settlementsWithinRadius({
          ...scope,
          center,
          meters: args.meters,
          first: spatialLimit(args.first, 'first'),
        });
      },
    ),
    settlementsInBox: list((ctx, scope, args: SpatialArgs & BoxArgs) =>
      ctx.loaders.readModel.settlementsInBox({
        ...scope,
        box: box(args.box),
        first: spatialLimit(args.first, 'first'),
      }),
    ),
    locationsInBox: list((ctx, scope, args: SpatialArgs & BoxArgs) =>
      ctx.loaders.readModel.locationsInBox({ ...scope, box: box(args.box), first: spatialLimit(args.first, 'first') }),
    ),
    settlementsInRegion: list(async (ctx, scope, args: SpatialArgs & { regionId: string }) => {
      const region = await ctx.loaders.location.load({ ...scope, id: args.regionId });
      if (!region)
        throw new AppError(ErrorCode.NOT_FOUND, `location ${args.regionId} not found`, {
          entityType: 'location',
          entityId: args.regionId,
        });
      if (region.geometry.type !== 'Polygon') {
        throw new AppError(
          ErrorCode.VALIDATION,
          `location ${args.regionId} is a ${region.geometry.type}, not a Polygon region`,
          { argument: 'regionId' },
        );
      }
      return ctx.loaders.readModel.settlementsInRegion({
        ...scope,
        regionId: args.regionId,
        first: spatialLimit(args.first, 'first'),
      });
    }),
    nearestSettlements: list(
      (ctx, scope, args: SpatialArgs & { longitude: number; latitude: number; count?: number | null }) =>
        ctx.loaders.readModel.nearestSettlements({
          ...scope,
          center: lonLat(args.longitude, args.latitude),
          count: spatialLimit(args.count ?? 10, 'count'),
        }),
    ),
  },
};

function spatialLimit(n: number | null | undefined, argument: string): number {
  const v = n ?? 100;
  if (!Number.isInteger(v) || v < 1 || v > MAX_PAGE_SIZE)
    throw new AppError(ErrorCode.VALIDATION, `${argument} must be between 1 and ${MAX_PAGE_SIZE}`, { argument });
  return v;
}

function lonLat(lon: number, lat: number) {
  if (!(lon >= -180 && lon <= 180))
    throw new AppError(ErrorCode.VALIDATION, `longitude ${lon} is outside -180..180`, { argument: 'longitude' });
  if (!(lat >= -90 && lat <= 90))
    throw new AppError(ErrorCode.VALIDATION, `latitude ${lat} is outside -90..90`, { argument: 'latitude' });
  return { lon, lat };
}

/** A box's corners must be positions; `minLongitude > maxLongitude` is allowed (across the antimeridian), a reversed latitude range is not. */
function box(b: BoxArgs['box']) {
  const min = lonLat(b.minLongitude, b.minLatitude);
  const max = lonLat(b.maxLongitude, b.maxLatitude);
  if (min.lat > max.lat)
    throw new AppError(ErrorCode.VALIDATION, 'box: minLatitude is above maxLatitude', { argument: 'box' });
  return { minLon: min.lon, minLat: min.lat, maxLon: max.lon, maxLat: max.lat };
}
