import { AppError, ErrorCode, MAIN_BRANCH, type Role } from '@cm/contracts';
import type { GraphQLContext } from './graphql-context.js';

/**
 * Read access to a campaign's data: any role. Returns the caller's role; `absent` when the campaign does not
 * exist (callers decide whether that is `null` or `NOT_FOUND`); throws `FORBIDDEN` for a non-member of a
 * campaign that exists. Writes are authorised by the command service, not here.
 */
export async function campaignAccess(ctx: GraphQLContext, campaignId: string): Promise<Role | 'absent'> {
  const role = await ctx.loaders.role.load({ campaignId, userId: ctx.principal.userId });
  if (role) return role;
  const campaign = await ctx.loaders.campaign.load(campaignId);
  if (!campaign) return 'absent';
  throw new AppError(ErrorCode.FORBIDDEN, `you are not a member of campaign ${campaignId}`, { campaignId });
}

/** For lists: a campaign that does not exist is `NOT_FOUND` (an empty list would hide a wrong id). */
export async function requireMember(ctx: GraphQLContext, campaignId: string): Promise<Role> {
  const access = await campaignAccess(ctx, campaignId);
  if (access === 'absent') throw new AppError(ErrorCode.NOT_FOUND, `campaign ${campaignId} not found`, { entityType: 'campaign', entityId: campaignId });
  return access;
}

/** For by-id lookups: `false` when the campaign does not exist, so the lookup answers `null`. */
export async function mayRead(ctx: GraphQLContext, campaignId: string): Promise<boolean> {
  return (await campaignAccess(ctx, campaignId)) !== 'absent';
}

/**
 * A branch that was never forked or has been deleted is `NOT_FOUND`, not an empty world: the projector keeps a
 * deleted branch's rows (tombstoning the branch only), so without this check they would still be readable.
 * `main` exists whenever its campaign does.
 */
export async function requireBranch(ctx: GraphQLContext, campaignId: string, branchId: string): Promise<void> {
  if (branchId === MAIN_BRANCH) return;
  const branch = await ctx.loaders.branch.load({ campaignId, id: branchId });
  if (!branch) throw new AppError(ErrorCode.NOT_FOUND, `branch ${branchId} not found`, { entityType: 'branch', entityId: branchId });
}
