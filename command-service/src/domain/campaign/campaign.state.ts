import type { EventOf, Role } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A campaign, folded from its events. Campaigns are archived, never deleted. */
export interface CampaignState {
  status: AggregateStatus;
  name: string;
  description: string | null;
  /** The creator; always a member with role `owner`, and the only one. */
  ownerId: string | null;
  archived: boolean;
  /** Role per user id. Read it through `memberRole`: user ids such as `constructor` are valid. */
  members: Readonly<Record<string, Role>>;
}

export type CampaignEvent = EventOf<'campaign'>;

export const initialState: CampaignState = {
  status: 'absent',
  name: '',
  description: null,
  ownerId: null,
  archived: false,
  members: {},
};

/** The role of `userId` in the campaign, or undefined for a non-member. */
export function memberRole(state: CampaignState, userId: string): Role | undefined {
  return Object.hasOwn(state.members, userId) ? state.members[userId] : undefined;
}

export function evolve(state: CampaignState, event: CampaignEvent): CampaignState {
  switch (event.type) {
    case 'CampaignCreated': {
      const { name, description, ownerId } = event.data;
      return { status: 'active', name, description, ownerId, archived: false, members: { [ownerId]: 'owner' } };
    }
    case 'CampaignRenamed':
      return { ...state, name: event.data.name };
    case 'CampaignArchived':
      return { ...state, archived: true };
    case 'MemberAdded':
    case 'MemberRoleChanged':
      return { ...state, members: { ...state.members, [event.data.userId]: event.data.role } };
    case 'MemberRemoved': {
      const { [event.data.userId]: _removed, ...members } = state.members;
      return { ...state, members };
    }
    default:
      return unknownEvent(event);
  }
}
