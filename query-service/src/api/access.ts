import { AppError, ErrorCode, MAIN_BRANCH, type Role } from '@cm/contracts';
import type { GraphQLContext } from './graphql-context.js';

/**
 * Read access to a campaign's data: any role. Returns the caller's role, or throws `FORBIDDEN`, with the same
 * words and after the same single lookup, whether the campaign exists or not: nobody is a member of a campaign
 * that does not exist, and telling the two apart (`FORBIDDEN` against `null` or `NOT_FOUND`) would let anyone
 * probe which campaign ids exist. The command service answers commands by the same rule (its `authorize`).
 * Writes are authorised there, not here.
 */
export async function requireMember(ctx: GraphQLContext, campaignId: string): Promise<Role> {
  const role = await ctx.loaders.role.load({ campaignId, userId: ctx.principal.userId });
  if (role) return role;
  throw new AppError(ErrorCode.FORBIDDEN, `you are not a member of campaign ${campaignId}`, { campaignId });
}

/**
 * A branch that was never forked or has been deleted is `NOT_FOUND`, not an empty world: the projector keeps a
 * deleted branch's rows (tombstoning the branch only), so without this check they would still be readable.
 * `main` exists whenever its campaign does.
 */
export async function requireBranch(ctx: GraphQLContext, campaignId: string, branchId: string): Promise<void> {
  if (branchId === MAIN_BRANCH) return;
  const branch = await ctx.loaders.branch.load({ campaignId, id: branchId });
  if (!branch)
    throw new AppError(ErrorCode.NOT_FOUND, `branch ${branchId} not found`, {
      entityType: 'branch',
      entityId: branchId,
    });
}
