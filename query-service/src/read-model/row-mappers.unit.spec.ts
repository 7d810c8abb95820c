import { describe, expect, it } from 'vitest';
import { READERS } from './row-mappers.js';
import { allColumns, TABLE_NAMES, TABLES } from './tables.js';

const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

describe('row readers derived from the table declarations', () => {
  it('select every key and value column but the tombstone flag, in declaration order, then `last_seq`', () => {
    for (const table of TABLE_NAMES) {
      const columns = allColumns(TABLES[table])
        .map(([name]) => name)
        .filter((c) => !['deleted', 'last_seq', 'updated_at'].includes(c));
      // Expressions with commas inside (to_char) folded first, so the list splits at its own commas.
      const selected = READERS[table].select
        .replace(/to_char\([^)]*\)/g, 'to_char()')
        .split(', ')
        .map((e) => /(?:AS |^t\.)(\w+)$/.exec(e)?.[1]);
      expect(selected, table).toEqual([...columns, 'last_seq']);
    }
    expect(READERS.settlement.select).toBe(
      't.campaign_id, t.branch_id, t.id, t.kingdom_id, t.location_id, t.name, t.level, t.last_seq',
    );
  });

  it('select geometry as GeoJSON and timestamps as ISO-8601 UTC text', () => {
    expect(READERS.location.select).toContain(', ST_AsGeoJSON(t.geometry)::json AS geometry, ');
    expect(READERS.world_event.select).toContain(
      `, ${iso('t.scheduled_at')} AS scheduled_at, ${iso('t.expires_at')} AS expires_at, `,
    );
  });

  it('map driver rows to domain spelling: bigint strings as numbers, NULL kept, `last_seq` as `seq`', () => {
    expect(
      READERS.branch.map({
        campaign_id: 'c',
        id: 'b',
        name: 'B',
        parent_branch_id: 'main',
        forked_at_seq: '12',
        last_seq: '13',
      }),
    ).toEqual({
      campaignId: 'c',
      id: 'b',
      name: 'B',
      parentBranchId: 'main',
      forkedAtSeq: 12,
      seq: 13,
    });
    expect(
      READERS.branch.map({
        campaign_id: 'c',
        id: 'main',
        name: 'main',
        parent_branch_id: null,
        forked_at_seq: null,
        last_seq: '1',
      }),
    ).toEqual({
      campaignId: 'c',
      id: 'main',
      name: 'main',
      parentBranchId: null,
      forkedAtSeq: null,
      seq: 1,
    });
  });

  it('let a table reshape its row: a state variable reads back as the `{ type, value }` the command carried', () => {
    const row = {
      campaign_id: 'c',
      branch_id: 'main',
      owner_type: 'kingdom',
      owner_id: 'k',
      key: 'gold',
      value_type: 'number',
      value: 5,
      last_seq: '7',
    };
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
