import { describe, expect, it } from 'vitest';
import { READERS } from './row-mappers.js';

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

describe('row readers derived from the table declarations', () => {
  it('select every column but the tombstone flag, geometry as GeoJSON and timestamps as ISO text', () => {
    expect(Object.fromEntries(Object.entries(READERS).map(([table, r]) => [table, r.select]))).toEqual({
      campaign: 't.id, t.name, t.description, t.owner_id, t.archived, t.last_seq',
      campaign_member: 't.campaign_id, t.user_id, t.role, t.last_seq',
      branch: 't.campaign_id, t.id, t.name, t.parent_branch_id, t.forked_at_seq, t.last_seq',
      kingdom: 't.campaign_id, t.branch_id, t.id, t.name, t.last_seq',
      location: 't.campaign_id, t.branch_id, t.id, t.name, ST_AsGeoJSON(t.geometry)::json AS geometry, t.last_seq',
      settlement: 't.campaign_id, t.branch_id, t.id, t.kingdom_id, t.location_id, t.name, t.level, t.last_seq',
      structure: 't.campaign_id, t.branch_id, t.id, t.settlement_id, t.name, t.structure_type, t.level, t.condition, t.last_seq',
      state_variable: 't.campaign_id, t.branch_id, t.owner_type, t.owner_id, t.key, t.value_type, t.value, t.last_seq',
      field_condition: 't.campaign_id, t.branch_id, t.id, t.entity_type, t.entity_id, t.field, t.expression, t.priority, t.active, t.last_seq',
      world_event:
        't.campaign_id, t.branch_id, t.id, t.name, t.description, t.status, ' +
        `${iso('t.scheduled_at')} AS scheduled_at, ${iso('t.expires_at')} AS expires_at, t.effects, t.outcome, t.last_seq`,
    });
  });

  it('map driver rows to domain spelling: bigint strings as numbers, NULL kept, `last_seq` as `seq`', () => {
    expect(READERS.branch.map({ campaign_id: 'c', id: 'b', name: 'B', parent_branch_id: 'main', forked_at_seq: '12', last_seq: '13' })).toEqual({
      campaignId: 'c',
      id: 'b',
      name: 'B',
      parentBranchId: 'main',
      forkedAtSeq: 12,
      seq: 13,
    });
    expect(READERS.branch.map({ campaign_id: 'c', id: 'main', name: 'main', parent_branch_id: null, forked_at_seq: null, last_seq: '1' })).toEqual({
      campaignId: 'c',
      id: 'main',
      name: 'main',
      parentBranchId: null,
      forkedAtSeq: null,
      seq: 1,
    });
  });

  it('let a table reshape its row: a state variable reads back as the `{ type, value }` the command carried', () => {
    const row = { campaign_id: 'c', branch_id: 'main', owner_type: 'kingdom', owner_id: 'k', key: 'gold', value_type: 'number', value: 5, last_seq: '7' };
    expect(READERS.state_variable.map(row)).toEqual({
      campaignId: 'c',
      branchId: 'main',
      ownerType: 'kingdom',
      ownerId: 'k',
      key: 'gold',
      value: { type: 'number', value: 5 },
      seq: 7,
    });
  });
});
