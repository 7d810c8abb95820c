import { AppError, ErrorCode } from '@cm/contracts';
import type { GraphQLContext } from '../graphql-context.js';

/**
 * History is for a campaign's owners and game masters: it shows every change, who made it and what was there
 * before, which players and viewers are not shown. One lookup and one answer for a stranger, a player, and a
 * campaign that does not exist, as `requireMember` does, so the refusal tells nothing about existence.
 */
export async function requireHistoryReader(ctx: GraphQLContext, campaignId: string): Promise<void> {
  const role = await ctx.loaders.role.load({ campaignId, userId: ctx.principal.userId });
  if (role === 'owner' || role === 'gm') return;
  throw new AppError(ErrorCode.FORBIDDEN, `the history of campaign ${campaignId} is for its owners and game masters`, {
    campaignId,
  });
}
