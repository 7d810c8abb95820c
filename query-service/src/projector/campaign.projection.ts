import { MAIN_BRANCH, type AnyEvent } from '@cm/contracts';
import { columnsOf, patch, tombstone, upsert, type WriteOp } from './write-ops.js';

/** Events of the campaign-wide aggregates; both live on the `main` branch whatever branch they concern. */
export type CampaignWideEvent = Extract<
  AnyEvent,
  {
    type:
      | 'CampaignCreated'
      | 'CampaignRenamed'
      | 'CampaignArchived'
      | 'MemberAdded'
      | 'MemberRoleChanged'
      | 'MemberRemoved'
      | 'BranchForked'
      | 'BranchRenamed'
      | 'BranchDeleted';
  }
>;

/** Campaigns, their members and their branches. */
export function projectCampaignWide(event: CampaignWideEvent, seq: number): WriteOp[] {
  const campaign_id = event.campaignId;
  switch (event.type) {
    case 'CampaignCreated': {
      const { ownerId } = event.data;
      // A campaign starts with its `main` branch and its owner as a member; neither has an event of its own.
      return [
        upsert('campaign', { id: campaign_id }, { ...columnsOf(event.data), archived: false, deleted: false }, seq),
        upsert(
          'branch',
          { campaign_id, id: MAIN_BRANCH },
          { name: MAIN_BRANCH, parent_branch_id: null, forked_at_seq: null, deleted: false },
          seq,
        ),
        upsert('campaign_member', { campaign_id, user_id: ownerId }, { role: 'owner', deleted: false }, seq),
      ];
    }
    case 'CampaignRenamed':
      return [patch('campaign', { id: campaign_id }, { name: event.data.name }, seq)];
    case 'CampaignArchived':
      return [patch('campaign', { id: campaign_id }, { archived: true }, seq)];
    case 'MemberAdded':
      // An upsert, not a patch: a member removed earlier (a tombstone) can be added again.
      return [
        upsert(
          'campaign_member',
          { campaign_id, user_id: event.data.userId },
          { role: event.data.role, deleted: false },
          seq,
        ),
      ];
    case 'MemberRoleChanged':
      return [patch('campaign_member', { campaign_id, user_id: event.data.userId }, { role: event.data.role }, seq)];
    case 'MemberRemoved':
      return [tombstone('campaign_member', { campaign_id, user_id: event.data.userId }, seq)];
    case 'BranchForked': {
      const { parentBranchId, forkedAtSeq } = event.data;
      const id = event.entityId;
      // The fork comes first: the writer skips it when the branch row already carries this sequence (redelivery).
      return [
        { kind: 'fork', campaignId: campaign_id, branchId: id, parentBranchId, forkedAtSeq, seq },
        upsert('branch', { campaign_id, id }, { ...columnsOf(event.data), deleted: false }, seq),
      ];
    }
    case 'BranchRenamed':
      return [patch('branch', { campaign_id, id: event.entityId }, { name: event.data.name }, seq)];
    case 'BranchDeleted':
      return [tombstone('branch', { campaign_id, id: event.entityId }, seq)];
    default:
      return unknown(event);
  }
}

function unknown(event: never): never {
  throw new Error(`no projection for event type ${(event as { type: string }).type}`);
}
