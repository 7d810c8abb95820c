import { AppError, ErrorCode, type CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustExist, unknownCommand } from '../guards.js';
import { evolve, initialState, memberRole, type CampaignEvent, type CampaignState } from './campaign.state.js';

export type CampaignCommand = CommandOf<'campaign'>;

export function decide(command: CampaignCommand, state: CampaignState): EventDraft[] {
  const id = command.aggregateId;
  // The campaign aggregate is addressed by the campaign id; anything else would create a second campaign stream.
  if (id !== command.campaignId) {
    throw new AppError(
      ErrorCode.VALIDATION,
      `campaign commands must address the campaign itself (${command.campaignId})`,
      {
        aggregateId: id,
        campaignId: command.campaignId,
      },
    );
  }
  if (command.type === 'campaign.create') {
    mustBeAbsent(state.status, 'campaign', id);
    const { name, description } = command.payload;
    return [
      { type: 'CampaignCreated', data: { name, description: description ?? null, ownerId: command.actor.userId } },
    ];
  }
  mustExist(state.status, 'campaign', id);

  switch (command.type) {
    case 'campaign.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'CampaignRenamed', data: { name: command.payload.name } }];

    case 'campaign.archive':
      if (state.archived) throw new AppError(ErrorCode.INVALID_STATE, `campaign ${id} is already archived`);
      return [{ type: 'CampaignArchived', data: {} }];

    case 'campaign.add-member': {
      const { userId, role } = command.payload;
      if (role === 'owner') throw new AppError(ErrorCode.VALIDATION, 'the owner role cannot be granted', { role });
      if (memberRole(state, userId) !== undefined) {
        throw new AppError(ErrorCode.ALREADY_EXISTS, `user ${userId} is already a member`, { userId });
      }
      return [{ type: 'MemberAdded', data: { userId, role } }];
    }

    case 'campaign.change-member-role': {
      const { userId, role } = command.payload;
      const current = mustBeMember(state, userId);
      if (userId === state.ownerId)
        throw new AppError(ErrorCode.INVALID_STATE, "the owner's role cannot be changed", { userId });
      if (role === 'owner')
        throw new AppError(ErrorCode.INVALID_STATE, 'the owner role cannot be granted', { userId, role });
      if (role === current) return [];
      return [{ type: 'MemberRoleChanged', data: { userId, role } }];
    }

    case 'campaign.remove-member': {
      const { userId } = command.payload;
      mustBeMember(state, userId);
      if (userId === state.ownerId)
        throw new AppError(ErrorCode.INVALID_STATE, 'the owner cannot be removed', { userId });
      return [{ type: 'MemberRemoved', data: { userId } }];
    }

    default:
      return unknownCommand(command);
  }
}

function mustBeMember(state: CampaignState, userId: string) {
  const role = memberRole(state, userId);
  if (role === undefined) throw new AppError(ErrorCode.NOT_FOUND, `user ${userId} is not a member`, { userId });
  return role;
}

export function refsOf(_command: CampaignCommand): AggregateRef[] {
  return [];
}

export function statusOf(state: CampaignState): AggregateStatus {
  return state.status;
}

export const campaignDecider: Decider<CampaignCommand, CampaignEvent, CampaignState> = {
  entityType: 'campaign',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'campaign.create': { creates: true },
    'campaign.rename': {},
    'campaign.archive': {},
    'campaign.add-member': {},
    'campaign.change-member-role': {},
    'campaign.remove-member': {},
  },
};
