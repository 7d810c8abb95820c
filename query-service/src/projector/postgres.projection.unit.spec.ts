import { EVENT_TYPES, type EventType } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { event } from './events.test-util.js';
import { isBranchScoped, projectEvent } from './postgres.projection.js';

const at = { campaignId: 'c1', branchId: 'b1', entityId: 'x1' };
const point = { type: 'Point' as const, coordinates: [1, 2] as [number, number] };
const effect = {
  ownerType: 'settlement' as const,
  ownerId: 's1',
  key: 'morale',
  value: { type: 'number' as const, value: 3 },
};
const key = { campaign_id: 'c1', branch_id: 'b1', id: 'x1' };

describe('postgres projection', () => {
  it('creates a campaign with its main branch and its owner as member', () => {
    const ops = projectEvent(
      event('CampaignCreated', { name: 'Realm', description: null, ownerId: 'u1' }, { campaignId: 'c1' }),
      7,
    );
    expect(ops).toEqual([
      {
        kind: 'upsert',
        table: 'campaign',
        key: { id: 'c1' },
        values: { name: 'Realm', description: null, owner_id: 'u1', archived: false, deleted: false },
        seq: 7,
      },
      {
        kind: 'upsert',
        table: 'branch',
        key: { campaign_id: 'c1', id: 'main' },
        values: { name: 'main', parent_branch_id: null, forked_at_seq: null, deleted: false },
        seq: 7,
      },
      {
        kind: 'upsert',
        table: 'campaign_member',
        key: { campaign_id: 'c1', user_id: 'u1' },
        values: { role: 'owner', deleted: false },
        seq: 7,
      },
    ]);
  });

  it('maps member changes to upsert, patch and tombstone of the member row', () => {
    const member = { campaign_id: 'c1', user_id: 'u2' };
    expect(projectEvent(event('MemberAdded', { userId: 'u2', role: 'player' }), 3)).toEqual([
      { kind: 'upsert', table: 'campaign_member', key: member, values: { role: 'player', deleted: false }, seq: 3 },
    ]);
    expect(projectEvent(event('MemberRoleChanged', { userId: 'u2', role: 'gm' }), 4)).toEqual([
      { kind: 'patch', table: 'campaign_member', key: member, values: { role: 'gm' }, seq: 4 },
    ]);
    expect(projectEvent(event('MemberRemoved', { userId: 'u2' }), 5)).toEqual([
      { kind: 'patch', table: 'campaign_member', key: member, values: { deleted: true }, seq: 5 },
    ]);
  });

  it('forks before it writes the branch row, so a redelivered fork can see it was applied', () => {
    const ops = projectEvent(
      event(
        'BranchForked',
        { name: 'What if', parentBranchId: 'main', forkedAtSeq: 40 },
        { campaignId: 'c1', branchId: 'main', entityId: 'b2' },
      ),
      50,
    );
    expect(ops).toEqual([
      { kind: 'fork', campaignId: 'c1', branchId: 'b2', parentBranchId: 'main', forkedAtSeq: 40, seq: 50 },
      {
        kind: 'upsert',
        table: 'branch',
        key: { campaign_id: 'c1', id: 'b2' },
        values: { name: 'What if', parent_branch_id: 'main', forked_at_seq: 40, deleted: false },
        seq: 50,
      },
    ]);
  });

  it('keys branch-scoped rows by campaign, branch and entity id', () => {
    expect(projectEvent(event('LocationCreated', { name: 'Ford', geometry: point }, at), 9)).toEqual([
      { kind: 'upsert', table: 'location', key, values: { name: 'Ford', geometry: point, deleted: false }, seq: 9 },
    ]);
    expect(projectEvent(event('SettlementLevelSet', { level: 4 }, at), 10)).toEqual([
      { kind: 'patch', table: 'settlement', key, values: { level: 4 }, seq: 10 },
    ]);
    expect(projectEvent(event('StructureDeleted', { settlementId: 's1' }, at), 11)).toEqual([
      { kind: 'patch', table: 'structure', key, values: { deleted: true }, seq: 11 },
    ]);
  });

  it('keys state variables by owner and key from the event data, storing type and value apart', () => {
    const data = {
      ownerType: 'settlement' as const,
      ownerId: 's1',
      key: 'gold',
      value: { type: 'number' as const, value: 12 },
    };
    const rowKey = { campaign_id: 'c1', branch_id: 'b1', owner_type: 'settlement', owner_id: 's1', key: 'gold' };
    expect(projectEvent(event('StateVariableSet', data, { ...at, entityId: 'settlement~s1' }), 12)).toEqual([
      {
        kind: 'upsert',
        table: 'state_variable',
        key: rowKey,
        values: { value_type: 'number', value: 12, deleted: false },
        seq: 12,
      },
    ]);
    expect(
      projectEvent(event('StateVariableUnset', { ownerType: 'settlement', ownerId: 's1', key: 'gold' }, at), 13),
    ).toEqual([{ kind: 'patch', table: 'state_variable', key: rowKey, values: { deleted: true }, seq: 13 }]);
  });

  it('follows a world event through its statuses, keeping the effects it resolved with', () => {
    const scheduled = {
      name: 'Flood',
      description: null,
      scheduledAt: '2026-02-01T00:00:00.000Z',
      expiresAt: null,
      effects: [effect],
    };
    expect(projectEvent(event('WorldEventScheduled', scheduled, at), 20)[0]).toMatchObject({
      kind: 'upsert',
      values: {
        status: 'scheduled',
        scheduled_at: scheduled.scheduledAt,
        expires_at: null,
        effects: [effect],
        outcome: null,
      },
    });
    expect(projectEvent(event('WorldEventActivated', {}, at), 21)).toEqual([
      { kind: 'patch', table: 'world_event', key, values: { status: 'active' }, seq: 21 },
    ]);
    expect(projectEvent(event('WorldEventResolved', { outcome: 'dry', effects: [effect] }, at), 22)).toEqual([
      {
        kind: 'patch',
        table: 'world_event',
        key,
        values: { status: 'resolved', outcome: 'dry', effects: [effect] },
        seq: 22,
      },
    ]);
  });

  it('replaces a field condition definition as a whole on update', () => {
    const update = { field: 'wealth', expression: { '+': [1, 2] }, priority: 3, active: false };
    expect(projectEvent(event('FieldConditionUpdated', update, at), 30)).toEqual([
      { kind: 'patch', table: 'field_condition', key, values: update, seq: 30 },
    ]);
  });

  it('has a projection for every event type, and only campaign-wide events escape branch scope', () => {
    const samples: Record<EventType, unknown> = {
      CampaignCreated: { name: 'n', description: null, ownerId: 'u' },
      CampaignRenamed: { name: 'n' },
      CampaignArchived: {},
      MemberAdded: { userId: 'u', role: 'gm' },
      MemberRoleChanged: { userId: 'u', role: 'viewer' },
      MemberRemoved: { userId: 'u' },
      BranchForked: { name: 'n', parentBranchId: 'main', forkedAtSeq: 1 },
      BranchRenamed: { name: 'n' },
      BranchDeleted: {},
      KingdomCreated: { name: 'n' },
      KingdomRenamed: { name: 'n' },
      KingdomDeleted: {},
      LocationCreated: { name: 'n', geometry: point },
      LocationRenamed: { name: 'n' },
      LocationReshaped: { geometry: point },
      LocationDeleted: {},
      SettlementCreated: { kingdomId: 'k', locationId: 'l', name: 'n', level: 1 },
      SettlementRenamed: { name: 'n' },
      SettlementLevelSet: { level: 2 },
      SettlementMoved: { locationId: 'l2' },
      SettlementDeleted: { kingdomId: 'k' },
      StructureCreated: { settlementId: 's', name: 'n', structureType: 'mill', level: 1, condition: 100 },
      StructureRenamed: { name: 'n' },
      StructureTypeSet: { structureType: 'forge' },
      StructureLevelSet: { level: 2 },
      StructureConditionSet: { condition: 50 },
      StructureDeleted: { settlementId: 's' },
      StateVariableSet: { ownerType: 'kingdom', ownerId: 'k', key: 'a', value: { type: 'boolean', value: true } },
      StateVariableUnset: { ownerType: 'kingdom', ownerId: 'k', key: 'a' },
      FieldConditionDefined: {
        entityType: 'settlement',
        entityId: null,
        field: 'f',
        expression: { var: 'x' },
        priority: 0,
        active: true,
      },
      FieldConditionUpdated: { field: 'f', expression: { var: 'y' }, priority: 1, active: true },
      FieldConditionDeleted: {},
      WorldEventScheduled: {
        name: 'n',
        description: null,
        scheduledAt: '2026-01-01T00:00:00Z',
        expiresAt: null,
        effects: [],
      },
      WorldEventActivated: {},
      WorldEventExpired: {},
      WorldEventResolved: { outcome: null, effects: [] },
    };
    for (const type of EVENT_TYPES) {
      const e = event(type, samples[type] as never, at);
      expect(projectEvent(e, 1).length, type).toBeGreaterThan(0);
      const campaignWide = type.startsWith('Campaign') || type.startsWith('Member') || type.startsWith('Branch');
      expect(isBranchScoped(e), type).toBe(!campaignWide);
    }
  });
});
