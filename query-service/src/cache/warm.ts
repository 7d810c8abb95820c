import { MAIN_BRANCH } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { ReadModel } from '../read-model/read-model.port.js';
import { cachedLists, type ListCacheOptions } from './cached-lists.js';

/**
 * Loads the hot lists of each campaign's main branch into the cache (`CACHE_WARM_CAMPAIGNS`): the settlements of
 * every kingdom and the structures of every settlement, through the same cached read model the API reads with,
 * so the entries are the ones a first request would have made. Two read-model calls and two MGETs per campaign.
 */
export async function warmCampaigns(
  readModel: ReadModel,
  lists: ListCacheOptions,
  campaignIds: readonly string[],
  logger: Logger,
): Promise<void> {
  const cached = cachedLists(readModel, lists, () => 0);
  for (const campaignId of campaignIds) {
    const scope = { campaignId, branchId: MAIN_BRANCH };
    const [kingdoms] = await readModel.kingdomsByScopes([scope]);
    const settlements = (
      await cached.settlementsByParents((kingdoms ?? []).map((k) => ({ ...scope, kingdomId: k.id })))
    ).flat();
    await cached.structuresBySettlements(settlements.map((s) => ({ ...scope, settlementId: s.id })));
    logger.info({ campaignId, kingdoms: kingdoms?.length ?? 0, settlements: settlements.length }, 'cache warmed');
  }
}
