import { describe, expect, it } from 'vitest';
import { pgArray } from '../read-model/sql.js';
import { patchStatement, upsertStatement } from './row-statements.js';
import { columnsOf, patch, tombstone, upsert } from './write-ops.js';
import { WriteSet } from './write-set.js';

const k1 = { campaign_id: 'c', branch_id: 'main', id: 's1' };
const k2 = { campaign_id: 'c', branch_id: 'main', id: 's2' };
const created = { kingdom_id: 'k', location_id: 'l', name: 'Ford', level: 1, deleted: false };

describe('WriteSet', () => {
  it('folds patches into the upsert of the same batch, keeping the last sequence', () => {
    const set = new WriteSet();
    set.add(upsert('settlement', k1, created, 10));
    set.add(patch('settlement', k1, { level: 3 }, 11));
    set.add(patch('settlement', k1, { name: 'Crossing' }, 12));
    expect(set.size).toBe(1);
    expect(set.tables()).toEqual([
      {
        table: 'settlement',
        upserts: [{ kind: 'upsert', key: k1, values: { ...created, level: 3, name: 'Crossing' }, seq: 12 }],
        patches: [],
      },
    ]);
  });

  it('turns a deletion after a creation into an upsert of a tombstone', () => {
    const set = new WriteSet();
    set.add(upsert('settlement', k1, created, 10));
    set.add(tombstone('settlement', k1, 14));
    expect(set.tables()[0]!.upserts).toEqual([
      { kind: 'upsert', key: k1, values: { ...created, deleted: true }, seq: 14 },
    ]);
  });

  it('lets an upsert redefine a row whatever came before (a variable set again after it was unset)', () => {
    const key = { campaign_id: 'c', branch_id: 'main', owner_type: 'kingdom' as const, owner_id: 'k', key: 'gold' };
    const set = new WriteSet();
    set.add(tombstone('state_variable', key, 20));
    set.add(upsert('state_variable', key, { value_type: 'number', value: 5, deleted: false }, 21));
    expect(set.tables()[0]!.upserts).toEqual([
      { kind: 'upsert', key, values: { value_type: 'number', value: 5, deleted: false }, seq: 21 },
    ]);
  });

  it('groups patches of different rows by the columns they set', () => {
    const set = new WriteSet();
    set.add(patch('settlement', k1, { level: 2 }, 30));
    set.add(patch('settlement', k2, { level: 4 }, 31));
    set.add(patch('settlement', k2, { name: 'Mill' }, 32));
    set.add(patch('settlement', k1, { name: 'Ford' }, 33));
    set.add(patch('kingdom', k1, { name: 'North' }, 34));
    expect(set.tables()).toEqual([
      {
        table: 'settlement',
        upserts: [],
        patches: [
          {
            columns: ['level', 'name'],
            rows: [
              { kind: 'patch', key: k1, values: { level: 2, name: 'Ford' }, seq: 33 },
              { kind: 'patch', key: k2, values: { level: 4, name: 'Mill' }, seq: 32 },
            ],
          },
        ],
      },
      {
        table: 'kingdom',
        upserts: [],
        patches: [{ columns: ['name'], rows: [{ kind: 'patch', key: k1, values: { name: 'North' }, seq: 34 }] }],
      },
    ]);
    set.clear();
    expect(set.size).toBe(0);
    expect(set.tables()).toEqual([]);
  });
});

describe('columnsOf', () => {
  it('spells event data as row values: domain names become column names, values stay as they are', () => {
    const expression = { var: 'x' };
    expect(columnsOf({ name: 'Ford', ownerId: 'u1', forkedAtSeq: 3, entityId: null, expression })).toEqual({
      name: 'Ford',
      owner_id: 'u1',
      forked_at_seq: 3,
      entity_id: null,
      expression,
    });
  });
});

describe('row statements', () => {
  it('upserts many rows in one statement, one array parameter per column, under the sequence guard', () => {
    const rows = [
      {
        kind: 'upsert' as const,
        key: k1,
        values: { name: 'Ford', geometry: { type: 'Point', coordinates: [1, 2] }, deleted: false },
        seq: 5,
      },
      {
        kind: 'upsert' as const,
        key: k2,
        values: { name: 'Hill', geometry: { type: 'Point', coordinates: [3, 4] }, deleted: false },
        seq: 6,
      },
    ];
    const { sql, params } = upsertStatement('rm', 'location', rows);
    expect(sql).toContain('INSERT INTO "rm"."location" AS t');
    expect(sql).toContain('ST_SetSRID(ST_GeomFromGeoJSON(v."geometry"), 4326)');
    expect(sql).toContain('ON CONFLICT ("campaign_id", "branch_id", "id") DO UPDATE SET');
    expect(sql).toMatch(/WHERE t\.last_seq < EXCLUDED\.last_seq$/);
    expect(params).toEqual([
      '{"c","c"}',
      '{"main","main"}',
      '{"s1","s2"}',
      '{"Ford","Hill"}',
      '{"{\\"type\\":\\"Point\\",\\"coordinates\\":[1,2]}","{\\"type\\":\\"Point\\",\\"coordinates\\":[3,4]}"}',
      '{"false","false"}',
      '{"5","6"}',
    ]);
  });

  it('encodes JSON columns as JSON text, a JSON null included', () => {
    const key = { campaign_id: 'c', branch_id: 'main', owner_type: 'kingdom', owner_id: 'k', key: 'note' };
    const { params } = patchStatement(
      'rm',
      'state_variable',
      ['value', 'value_type'],
      [{ kind: 'patch', key, values: { value: null, value_type: 'json' }, seq: 9 }],
    );
    expect(params).toEqual([['c'], ['main'], ['kingdom'], ['k'], ['note'], ['null'], ['json'], [9]].map(pgArray));
  });

  it('spells array parameters as Postgres array literals, with NULL and escapes', () => {
    expect(pgArray(['a', null, 'x"y\\z', 5, true, undefined])).toBe('{"a",NULL,"x\\"y\\\\z","5","true",NULL}');
    expect(pgArray([])).toBe('{}');
  });
});
