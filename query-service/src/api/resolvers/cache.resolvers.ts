import { AppError, ErrorCode } from '@cm/contracts';
import { requireMember } from '../access.js';
import type { GraphQLContext } from '../graphql-context.js';

/** Operators' figures are for the people who run a campaign: its owners and game masters. */
async function requireOwnerOrGm(ctx: GraphQLContext, campaignId: string): Promise<void> {
  const role = await requireMember(ctx, campaignId);
  if (role !== 'owner' && role !== 'gm')
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `cache statistics and health are for owners and game masters of campaign ${campaignId}`,
      { campaignId },
    );
}

const upper = (status: string) => status.toUpperCase();

/** `Query` fields of the cache schema (contracts' cacheTypeDefs). */
export const cacheResolvers = {
  Query: {
    async cacheStats(_: unknown, { campaignId }: { campaignId: string }, ctx: GraphQLContext) {
      await requireOwnerOrGm(ctx, campaignId);
      const cache = ctx.services.cache;
      if (!cache) throw new AppError(ErrorCode.UNAVAILABLE, 'this API runs without a cache');
      const stats = cache.stats();
      return { ...stats, startTime: stats.startTime.toISOString() };
    },
    async health(_: unknown, { campaignId }: { campaignId: string }, ctx: GraphQLContext) {
      await requireOwnerOrGm(ctx, campaignId);
      if (!ctx.services.health) throw new AppError(ErrorCode.UNAVAILABLE, 'this API reports no health');
      const summary = await ctx.services.health();
      return {
        status: upper(summary.status),
        dependencies: summary.dependencies.map((d) => ({ ...d, status: upper(d.status) })),
      };
    },
  },
};
