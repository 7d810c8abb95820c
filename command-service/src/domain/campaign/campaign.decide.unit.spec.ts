import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_ID, OWNER, command, given } from '../given.test-util.js';
import { campaignDecider, type CampaignCommand } from './campaign.decide.js';

const campaign = <T extends CampaignCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: CAMPAIGN_ID });
const created = { type: 'CampaignCreated', data: { name: 'Westmarch', description: null, ownerId: OWNER } } as const;
const gmAdded = { type: 'MemberAdded', data: { userId: 'u-gm', role: 'gm' } } as const;
const archived = { type: 'CampaignArchived', data: {} } as const;

describe('campaign.create', () => {
  it('creates the campaign owned by the actor', () => {
    given(campaignDecider)
      .when(campaign('campaign.create', { name: 'Westmarch', description: 'Hex crawl' }))
      .then([{ type: 'CampaignCreated', data: { name: 'Westmarch', description: 'Hex crawl', ownerId: OWNER } }]);
  });
  it('records a missing description as null', () => {
    given(campaignDecider)
      .when(campaign('campaign.create', { name: 'Westmarch' }))
      .then([created]);
  });
  it('makes the creator its owner', () => {
    const { state } = given(campaignDecider, [created]);
    expect(state.members).toEqual({ [OWNER]: 'owner' });
    expect(campaignDecider.statusOf(state)).toBe('active');
  });
  it('rejects an existing campaign', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.create', { name: 'Westmarch' }))
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects an aggregate id other than the campaign id', () => {
    given(campaignDecider)
      .when(command('campaign.create', { name: 'Westmarch' }, { aggregateId: 'other' }))
      .thenThrows(ErrorCode.VALIDATION);
  });
});

describe('campaign.rename', () => {
  it('renames the campaign', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.rename', { name: 'Eastmarch' }))
      .then([{ type: 'CampaignRenamed', data: { name: 'Eastmarch' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.rename', { name: 'Westmarch' }))
      .then([]);
  });
  it('rejects an absent campaign', () => {
    given(campaignDecider)
      .when(campaign('campaign.rename', { name: 'Eastmarch' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('campaign.archive', () => {
  it('archives the campaign', () => {
    given(campaignDecider, [created]).when(campaign('campaign.archive', {})).then([archived]);
  });
  it('rejects an archived campaign', () => {
    given(campaignDecider, [created, archived])
      .when(campaign('campaign.archive', {}))
      .thenThrows(ErrorCode.INVALID_STATE);
  });
  it('rejects an absent campaign', () => {
    given(campaignDecider).when(campaign('campaign.archive', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('campaign.add-member', () => {
  it('adds the member', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.add-member', { userId: 'u-gm', role: 'gm' }))
      .then([gmAdded]);
  });
  it('adds a user whose id is an Object.prototype property name', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.add-member', { userId: 'constructor', role: 'viewer' }))
      .then([{ type: 'MemberAdded', data: { userId: 'constructor', role: 'viewer' } }]);
  });
  it('rejects an existing member', () => {
    given(campaignDecider, [created, gmAdded])
      .when(campaign('campaign.add-member', { userId: 'u-gm', role: 'player' }))
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects granting the owner role', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.add-member', { userId: 'u-new', role: 'owner' }))
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('rejects an absent campaign', () => {
    given(campaignDecider)
      .when(campaign('campaign.add-member', { userId: 'u-gm', role: 'gm' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('campaign.change-member-role', () => {
  it("changes the member's role", () => {
    given(campaignDecider, [created, gmAdded])
      .when(campaign('campaign.change-member-role', { userId: 'u-gm', role: 'player' }))
      .then([{ type: 'MemberRoleChanged', data: { userId: 'u-gm', role: 'player' } }]);
  });
  it('changes nothing when the role is the same', () => {
    given(campaignDecider, [created, gmAdded])
      .when(campaign('campaign.change-member-role', { userId: 'u-gm', role: 'gm' }))
      .then([]);
  });
  it('rejects a non-member', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.change-member-role', { userId: 'u-gm', role: 'player' }))
      .thenThrows(ErrorCode.NOT_FOUND, 'not a member');
  });
  it("rejects changing the owner's role", () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.change-member-role', { userId: OWNER, role: 'gm' }))
      .thenThrows(ErrorCode.INVALID_STATE);
  });
  it('rejects granting the owner role', () => {
    given(campaignDecider, [created, gmAdded])
      .when(campaign('campaign.change-member-role', { userId: 'u-gm', role: 'owner' }))
      .thenThrows(ErrorCode.INVALID_STATE);
  });
  it('rejects an absent campaign', () => {
    given(campaignDecider)
      .when(campaign('campaign.change-member-role', { userId: 'u-gm', role: 'player' }))
      .thenThrows(ErrorCode.NOT_FOUND, 'campaign c1 not found');
  });
});

describe('campaign.remove-member', () => {
  it('removes the member', () => {
    given(campaignDecider, [created, gmAdded])
      .when(campaign('campaign.remove-member', { userId: 'u-gm' }))
      .then([{ type: 'MemberRemoved', data: { userId: 'u-gm' } }]);
  });
  it('folds the removal out of the members', () => {
    const { state } = given(campaignDecider, [created, gmAdded, { type: 'MemberRemoved', data: { userId: 'u-gm' } }]);
    expect(state.members).toEqual({ [OWNER]: 'owner' });
  });
  it('rejects a non-member', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.remove-member', { userId: 'u-gm' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a user id that is only an Object.prototype property', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.remove-member', { userId: 'toString' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects removing the owner', () => {
    given(campaignDecider, [created])
      .when(campaign('campaign.remove-member', { userId: OWNER }))
      .thenThrows(ErrorCode.INVALID_STATE);
  });
  it('rejects an absent campaign', () => {
    given(campaignDecider)
      .when(campaign('campaign.remove-member', { userId: 'u-gm' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});
