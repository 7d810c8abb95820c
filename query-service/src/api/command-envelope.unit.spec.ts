import { buildASTSchema, parse, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError, typeDefs, type Command } from '@cm/contracts';
import { buildCommand, type RequestFacts } from './command-envelope.js';
import { mutationSpecs, type MutationName } from './mutation-commands.js';

let ids = 0;
const facts: RequestFacts = {
  userId: 'alice',
  correlationId: 'corr-1',
  issuedAt: '2024-05-01T12:00:00.000Z',
  newId: () => `new-${(ids += 1)}`,
};

const build = (name: MutationName, args: Record<string, unknown>): Command =>
  buildCommand(mutationSpecs[name], args, facts);

function rejection(name: MutationName, args: Record<string, unknown>): AppError {
  try {
    build(name, args);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error(`${name} was accepted`);
}

const C = 'camp-1';

describe('GraphQL mutation → command envelope', () => {
  it('covers every mutation of the SDL, and only those', () => {
    const schema = buildASTSchema(parse(typeDefs));
    const fields = Object.keys((schema.getMutationType() as GraphQLObjectType).getFields()).sort();
    expect(Object.keys(mutationSpecs).sort()).toEqual(fields);
  });

  it('creates a campaign as its own aggregate on main, with a generated id when none is given', () => {
    ids = 0;
    const cmd = build('createCampaign', { name: ' The Shattered Crown ', description: null });
    expect(cmd).toEqual({
      commandId: 'new-2',
      type: 'campaign.create',
      campaignId: 'new-1',
      branchId: 'main',
      aggregateId: 'new-1',
      payload: { name: 'The Shattered Crown' },
      actor: { userId: 'alice' },
      correlationId: 'corr-1',
      issuedAt: '2024-05-01T12:00:00.000Z',
    });
  });

  it('uses the client id and command id when given', () => {
    const cmd = build('createCampaign', { id: C, name: 'x', description: 'd', commandId: 'retry:1' });
    expect(cmd).toMatchObject({
      commandId: 'retry:1',
      campaignId: C,
      aggregateId: C,
      payload: { name: 'x', description: 'd' },
    });
  });

  it('addresses member commands to the campaign aggregate', () => {
    expect(build('addCampaignMember', { campaignId: C, userId: 'bob', role: 'gm' })).toMatchObject({
      type: 'campaign.add-member',
      campaignId: C,
      aggregateId: C,
      branchId: 'main',
      payload: { userId: 'bob', role: 'gm' },
    });
  });

  it('forks a branch as a campaign-wide aggregate: branch main, aggregate id = the new branch', () => {
    expect(
      build('forkBranch', { campaignId: C, id: 'what-if', parentBranchId: 'main', name: 'What if', atSeq: 12 }),
    ).toMatchObject({
      type: 'branch.fork',
      campaignId: C,
      branchId: 'main',
      aggregateId: 'what-if',
      payload: { parentBranchId: 'main', name: 'What if', atSeq: 12 },
    });
    expect(build('deleteBranch', { campaignId: C, id: 'what-if' })).toMatchObject({
      branchId: 'main',
      aggregateId: 'what-if',
      payload: {},
    });
  });

  it('puts branch entities in the named branch, main by default', () => {
    expect(build('createKingdom', { campaignId: C, branchId: 'alt', id: 'k1', name: 'Aurelia' })).toMatchObject({
      type: 'kingdom.create',
      branchId: 'alt',
      aggregateId: 'k1',
      payload: { name: 'Aurelia' },
    });
    expect(build('renameKingdom', { campaignId: C, id: 'k1', name: 'A' })).toMatchObject({
      branchId: 'main',
      aggregateId: 'k1',
    });
  });

  it('applies the payload schema defaults (settlement level 1)', () => {
    const cmd = build('createSettlement', {
      campaignId: C,
      branchId: 'main',
      kingdomId: 'k1',
      locationId: 'l1',
      name: 'Port',
    });
    expect(cmd.payload).toEqual({ kingdomId: 'k1', locationId: 'l1', name: 'Port', level: 1 });
  });

  it('files state variables under <ownerType>~<ownerId>, the aggregate the command service expects', () => {
    const args = {
      campaignId: C,
      branchId: 'main',
      ownerType: 'world-event',
      ownerId: 'w1',
      key: 'population',
      value: { type: 'number', value: 1200 },
    };
    expect(build('setStateVariable', args)).toMatchObject({
      type: 'state-variable.set',
      aggregateId: 'world-event~w1',
      payload: { ownerType: 'world-event', ownerId: 'w1', key: 'population', value: { type: 'number', value: 1200 } },
    });
    expect(
      build('unsetStateVariable', {
        campaignId: C,
        branchId: 'main',
        ownerType: 'kingdom',
        ownerId: 'k1',
        key: 'ruler',
      }),
    ).toMatchObject({
      type: 'state-variable.unset',
      aggregateId: 'kingdom~k1',
    });
  });

  it('keeps a JSON null value but treats a null optional argument as absent', () => {
    const set = build('setStateVariable', {
      campaignId: C,
      ownerType: 'campaign',
      ownerId: C,
      key: 'k',
      value: { type: 'json', value: null },
    });
    expect(set.payload).toMatchObject({ value: { type: 'json', value: null } });
    const update = build('updateFieldCondition', {
      campaignId: C,
      id: 'fc1',
      field: null,
      expression: null,
      priority: 5,
      active: null,
    });
    expect(update.payload).toEqual({ priority: 5 });
  });

  it('passes world event effects through in domain spelling', () => {
    const effects = [{ ownerType: 'settlement', ownerId: 's1', key: 'gold', value: { type: 'number', value: -10 } }];
    const cmd = build('scheduleWorldEvent', {
      campaignId: C,
      id: 'w1',
      name: 'Flood',
      scheduledAt: '2024-06-01T00:00:00Z',
      effects,
    });
    expect(cmd).toMatchObject({ type: 'world-event.schedule', aggregateId: 'w1', payload: { name: 'Flood', effects } });
  });

  it.each([
    ['a dot in an id', 'createKingdom', { campaignId: C, id: 'a.b', name: 'x' }, 'id'],
    ['a wildcard in an id', 'createKingdom', { campaignId: C, id: 'a>', name: 'x' }, 'id'],
    ['a star in a campaign id', 'renameKingdom', { campaignId: 'c*', id: 'k', name: 'x' }, 'campaignId'],
    ['a space in a branch id', 'renameKingdom', { campaignId: C, branchId: 'a b', id: 'k', name: 'x' }, 'branchId'],
    [
      'a dot in a referenced id',
      'createSettlement',
      { campaignId: C, kingdomId: 'k.1', locationId: 'l', name: 'x' },
      'kingdomId',
    ],
    [
      'a dot in an owner id',
      'setStateVariable',
      { campaignId: C, ownerType: 'kingdom', ownerId: 'x.y', key: 'k', value: { type: 'number', value: 1 } },
      'ownerId',
    ],
  ] as const)('rejects %s as VALIDATION naming the argument', (_name, mutation, args, argument) => {
    const e = rejection(mutation, args);
    expect(e.code).toBe('VALIDATION');
    expect(e.details).toMatchObject({ argument });
  });

  it.each([
    ['a level out of range', 'setSettlementLevel', { campaignId: C, id: 's', level: -5 }, 'level'],
    [
      'a geometry out of range',
      'createLocation',
      { campaignId: C, name: 'x', geometry: { type: 'Point', coordinates: [500, 1] } },
      'geometry.coordinates.0',
    ],
    [
      'an open polygon',
      'reshapeLocation',
      {
        campaignId: C,
        id: 'l',
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        },
      },
      'geometry.coordinates.0',
    ],
    [
      'a value that does not match its type',
      'setStateVariable',
      { campaignId: C, ownerType: 'kingdom', ownerId: 'k', key: 'k', value: { type: 'number', value: 'x' } },
      'value.value',
    ],
    [
      'a bad variable key',
      'setStateVariable',
      { campaignId: C, ownerType: 'kingdom', ownerId: 'k', key: 'a.b', value: { type: 'number', value: 1 } },
      'key',
    ],
    ['an empty name', 'createKingdom', { campaignId: C, name: '   ' }, 'name'],
    ['a bad command id', 'createKingdom', { campaignId: C, name: 'x', commandId: 'has space' }, 'commandId'],
  ] as const)('rejects %s as VALIDATION with the bad field in details', (_name, mutation, args, path) => {
    const e = rejection(mutation, args);
    expect(e.code).toBe('VALIDATION');
    expect((e.details as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(path);
  });
});
