import { AppError, COMMAND_TYPES, ErrorCode, type Command, type CommandType } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { authorize, requiredRole } from './authorize.js';
import { campaignDecider } from './campaign/campaign.decide.js';
import type { CampaignState } from './campaign/campaign.state.js';
import { CAMPAIGN_ID, OWNER, command, given } from './given.test-util.js';

const OWNER_ONLY: readonly CommandType[] = [
  'campaign.archive',
  'campaign.add-member',
  'campaign.change-member-role',
  'campaign.remove-member',
];
/** Every command but `campaign.create`, which needs no campaign to exist. */
const ADDRESSED = COMMAND_TYPES.filter((type) => type !== 'campaign.create');
const CAMPAIGN_COMMANDS = ADDRESSED.filter((type) => type.startsWith('campaign.'));
const CONTENT_COMMANDS = ADDRESSED.filter((type) => !type.startsWith('campaign.'));

const created = { type: 'CampaignCreated', data: { name: 'Westmarch', description: null, ownerId: OWNER } } as const;
const members = [
  { type: 'MemberAdded', data: { userId: 'u-gm', role: 'gm' } },
  { type: 'MemberAdded', data: { userId: 'u-player', role: 'player' } },
  { type: 'MemberAdded', data: { userId: 'u-viewer', role: 'viewer' } },
] as const;
const archived = { type: 'CampaignArchived', data: {} } as const;

const absent = given(campaignDecider).state;
const live = given(campaignDecider, [created, ...members]).state;
const archivedCampaign = given(campaignDecider, [created, ...members, archived]).state;

const ACTORS = {
  owner: OWNER,
  gm: 'u-gm',
  player: 'u-player',
  viewer: 'u-viewer',
  'non-member': 'u-stranger',
  system: 'system:settlement-cascade',
} as const;

/** `authorize` reads only the type, the campaign and the actor, so one payload stands in for every command. */
function sent(type: CommandType, userId: string): Command {
  return { ...command('kingdom.create', { name: 'Ardan' }), type, actor: { userId } } as Command;
}

/** What `authorize` answers: `allowed`, or the code of the error it throws. */
function outcome(type: CommandType, userId: string, campaign: CampaignState): ErrorCode | 'allowed' {
  try {
    authorize(sent(type, userId), campaign);
    return 'allowed';
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
}

function rejection(type: CommandType, userId: string, campaign: CampaignState): AppError {
  try {
    authorize(sent(type, userId), campaign);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error(`authorize allowed ${type} from ${userId}`);
}

/** The outcome of every command in `types` from `userId`, keyed by command type, so a failure names the commands. */
const outcomes = (types: readonly CommandType[], userId: string, campaign: CampaignState) =>
  Object.fromEntries(types.map((type) => [type, outcome(type, userId, campaign)]));
const every = (types: readonly CommandType[], answer: ErrorCode | 'allowed') =>
  Object.fromEntries(types.map((type) => [type, answer]));

describe('requiredRole', () => {
  it.each(OWNER_ONLY)('reserves %s to the owner', (type) => {
    expect(requiredRole(type)).toBe('owner');
  });
  it('asks a gm for every other command', () => {
    const others = COMMAND_TYPES.filter((type) => !OWNER_ONLY.includes(type));
    expect(Object.fromEntries(others.map((type) => [type, requiredRole(type)]))).toEqual(
      Object.fromEntries(others.map((type) => [type, 'gm'])),
    );
  });
  it('leaves no command to players or viewers', () => {
    for (const type of COMMAND_TYPES) expect(['owner', 'gm'], type).toContain(requiredRole(type));
  });
});

describe('authorize campaign.create', () => {
  it.each(Object.entries(ACTORS))('lets anyone create a campaign: %s', (_who, userId) => {
    expect(outcome('campaign.create', userId, absent)).toBe('allowed');
  });
  it('leaves an existing campaign to the campaign decider', () => {
    expect(outcome('campaign.create', ACTORS['non-member'], live)).toBe('allowed');
    expect(outcome('campaign.create', ACTORS['non-member'], archivedCampaign)).toBe('allowed');
  });
});

describe('authorize on a campaign that does not exist', () => {
  // Nobody is a member of a campaign that does not exist: a user hears what a non-member of a live one hears.
  it.each(Object.entries(ACTORS).filter(([who]) => who !== 'system'))(
    'rejects every other command from a user as FORBIDDEN: %s',
    (_who, userId) => {
      expect(outcomes(ADDRESSED, userId, absent)).toEqual(every(ADDRESSED, ErrorCode.FORBIDDEN));
    },
  );
  it('gives a stranger the same answer whether the campaign exists or not', () => {
    for (const type of ADDRESSED) {
      const missing = rejection(type, ACTORS['non-member'], absent);
      const existing = rejection(type, ACTORS['non-member'], live);
      expect({ code: missing.code, message: missing.message, details: missing.details }, type).toEqual({
        code: existing.code,
        message: existing.message,
        details: existing.details,
      });
    }
  });
  it('rejects every other command from a system actor as NOT_FOUND', () => {
    expect(outcomes(ADDRESSED, ACTORS.system, absent)).toEqual(every(ADDRESSED, ErrorCode.NOT_FOUND));
  });
  it('names the campaign', () => {
    const error = rejection('kingdom.create', ACTORS.system, absent);
    expect(error.message).toBe(`campaign ${CAMPAIGN_ID} not found`);
    expect(error.details).toEqual({ entityType: 'campaign', entityId: CAMPAIGN_ID });
  });
});

describe('authorize by role on a live campaign', () => {
  it('lets the owner send every command', () => {
    expect(outcomes(ADDRESSED, ACTORS.owner, live)).toEqual(every(ADDRESSED, 'allowed'));
  });
  it('lets a gm send everything but archiving and member management', () => {
    expect(outcomes(ADDRESSED, ACTORS.gm, live)).toEqual({
      ...every(ADDRESSED, 'allowed'),
      ...every(OWNER_ONLY, ErrorCode.FORBIDDEN),
    });
  });
  it('lets a player send no command', () => {
    expect(outcomes(ADDRESSED, ACTORS.player, live)).toEqual(every(ADDRESSED, ErrorCode.FORBIDDEN));
  });
  it('lets a viewer send no command: viewers only read', () => {
    expect(outcomes(ADDRESSED, ACTORS.viewer, live)).toEqual(every(ADDRESSED, ErrorCode.FORBIDDEN));
  });
  it('lets a non-member send no command', () => {
    expect(outcomes(ADDRESSED, ACTORS['non-member'], live)).toEqual(every(ADDRESSED, ErrorCode.FORBIDDEN));
  });
  it('lets a system actor (a saga or job) send every command without being a member', () => {
    expect(outcomes(ADDRESSED, ACTORS.system, live)).toEqual(every(ADDRESSED, 'allowed'));
  });
});

describe('authorize rejections', () => {
  it('tells a member the role it needs and has', () => {
    const error = rejection('kingdom.create', ACTORS.viewer, live);
    expect(error.code).toBe(ErrorCode.FORBIDDEN);
    expect(error.message).toBe('kingdom.create needs the gm role');
    expect(error.details).toEqual({ required: 'gm', role: 'viewer' });
  });
  it('tells a gm that member management needs the owner', () => {
    const error = rejection('campaign.add-member', ACTORS.gm, live);
    expect(error.message).toBe('campaign.add-member needs the owner role');
    expect(error.details).toEqual({ required: 'owner', role: 'gm' });
  });
  it('gives a non-member no role', () => {
    expect(rejection('kingdom.create', ACTORS['non-member'], live).details).toEqual({ required: 'gm', role: null });
  });
  it('treats a user id that is only an Object.prototype property as a non-member', () => {
    expect(outcome('kingdom.create', 'constructor', live)).toBe(ErrorCode.FORBIDDEN);
    expect(outcome('kingdom.create', '__proto__', live)).toBe(ErrorCode.FORBIDDEN);
  });
  it('treats an actor whose id merely contains "system:" as a user', () => {
    expect(outcome('kingdom.create', 'u-system:x', live)).toBe(ErrorCode.FORBIDDEN);
  });
});

describe('authorize after membership changes', () => {
  it('forbids a removed member', () => {
    const campaign = given(campaignDecider, [
      created,
      ...members,
      { type: 'MemberRemoved', data: { userId: 'u-gm' } },
    ]).state;
    expect(outcome('kingdom.create', ACTORS.gm, campaign)).toBe(ErrorCode.FORBIDDEN);
  });
  it('forbids a gm demoted to viewer', () => {
    const campaign = given(campaignDecider, [
      created,
      ...members,
      { type: 'MemberRoleChanged', data: { userId: 'u-gm', role: 'viewer' } },
    ]).state;
    expect(outcome('kingdom.create', ACTORS.gm, campaign)).toBe(ErrorCode.FORBIDDEN);
  });
  it('allows a player promoted to gm', () => {
    const campaign = given(campaignDecider, [
      created,
      ...members,
      { type: 'MemberRoleChanged', data: { userId: 'u-player', role: 'gm' } },
    ]).state;
    expect(outcome('kingdom.create', ACTORS.player, campaign)).toBe('allowed');
  });
});

describe('authorize on an archived campaign', () => {
  it('lets the owner send campaign commands only; the campaign decider answers them', () => {
    expect(outcomes(ADDRESSED, ACTORS.owner, archivedCampaign)).toEqual({
      ...every(CAMPAIGN_COMMANDS, 'allowed'),
      ...every(CONTENT_COMMANDS, ErrorCode.INVALID_STATE),
    });
  });
  it('lets a gm rename it, and rejects its content commands as INVALID_STATE', () => {
    expect(outcomes(ADDRESSED, ACTORS.gm, archivedCampaign)).toEqual({
      ...every(CAMPAIGN_COMMANDS, 'allowed'),
      ...every(OWNER_ONLY, ErrorCode.FORBIDDEN),
      ...every(CONTENT_COMMANDS, ErrorCode.INVALID_STATE),
    });
  });
  it.each(['player', 'viewer', 'non-member'] as const)('tells a %s only FORBIDDEN, not that it is archived', (who) => {
    expect(outcomes(ADDRESSED, ACTORS[who], archivedCampaign)).toEqual(every(ADDRESSED, ErrorCode.FORBIDDEN));
  });
  it('rejects content commands from a system actor as well', () => {
    expect(outcomes(ADDRESSED, ACTORS.system, archivedCampaign)).toEqual({
      ...every(CAMPAIGN_COMMANDS, 'allowed'),
      ...every(CONTENT_COMMANDS, ErrorCode.INVALID_STATE),
    });
  });
  it('names the archived campaign', () => {
    const error = rejection('structure.delete', ACTORS.owner, archivedCampaign);
    expect(error.message).toBe(`campaign ${CAMPAIGN_ID} is archived`);
    expect(error.details).toEqual({ campaignId: CAMPAIGN_ID });
  });
});
