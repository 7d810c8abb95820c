import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '@cm/testkit';
import { event } from '../projector/events.test-util.js';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import type { SequencedEvent } from '../projector/postgres.projection.js';
import { ProjectionWriter } from '../projector/projection-writer.js';
import type { Database } from './database.js';
import { PostgresReadModel } from './postgres-read-model.js';
import type { Sql } from './sql.js';

const ns = testNamespace();
const schema = `rm_${ns}`;
let db: Database;
let statements = 0;
let rm: PostgresReadModel;

const noHistory = {
  campaignEvents: () => {
    throw new Error('no fork in this test');
  },
};

/** Events at consecutive sequences, one per commit. */
function sequenced(...events: ReturnType<typeof event>[]): SequencedEvent[] {
  return events.map((e, i) => ({ seq: i + 1, event: e }));
}

const scope = (campaignId: string, branchId = 'main') => ({ campaignId, branchId });
const point = { type: 'Point' as const, coordinates: [-3.5, 40.125] as [number, number] };

beforeAll(async () => {
  db = await openTestDatabase(ns, schema);
  // Counts statements, to hold every batched method to one query.
  const counting: Sql = {
    all: (sql, params) => ((statements += 1), db.sql.all(sql, params)),
    run: (sql, params) => ((statements += 1), db.sql.run(sql, params)),
  };
  rm = new PostgresReadModel(counting, schema);
  const at = (campaignId: string, entityId: string, branchId = 'main') => ({ campaignId, branchId, entityId });
  await new ProjectionWriter(db, noHistory).apply(
    sequenced(
      event('CampaignCreated', { name: 'Beta', description: 'second', ownerId: 'u1' }, { campaignId: 'c2' }),
      event('CampaignCreated', { name: 'Alpha', description: null, ownerId: 'u1' }, { campaignId: 'c1' }),
      event('MemberAdded', { userId: 'u2', role: 'viewer' }, { campaignId: 'c1' }),
      event('KingdomCreated', { name: 'Zeta' }, at('c1', 'k1')),
      event('KingdomCreated', { name: 'Eta' }, at('c1', 'k2')),
      event('KingdomCreated', { name: 'Gone' }, at('c1', 'k3')),
      event('KingdomDeleted', {}, at('c1', 'k3')),
      event('KingdomCreated', { name: 'Other campaign' }, at('c2', 'k1')),
      event('LocationCreated', { name: 'Spot', geometry: point }, at('c1', 'l1')),
      event('SettlementCreated', { kingdomId: 'k1', locationId: 'l1', name: 'B-town', level: 3 }, at('c1', 's1')),
      event('SettlementCreated', { kingdomId: 'k2', locationId: 'l1', name: 'A-town', level: 1 }, at('c1', 's2')),
      event(
        'StructureCreated',
        { settlementId: 's1', name: 'Keep', structureType: 'keep', level: 2, condition: 90 },
        at('c1', 't1'),
      ),
      event(
        'StateVariableSet',
        { ownerType: 'world-event', ownerId: 'w1', key: 'x', value: { type: 'boolean', value: false } },
        at('c1', 'world-event~w1'),
      ),
      event(
        'FieldConditionDefined',
        { entityType: 'settlement', entityId: null, field: 'a', expression: { var: 'x' }, priority: 1, active: true },
        at('c1', 'f1'),
      ),
      event(
        'FieldConditionDefined',
        { entityType: 'settlement', entityId: 's1', field: 'b', expression: { var: 'y' }, priority: 9, active: false },
        at('c1', 'f2'),
      ),
      event(
        'WorldEventScheduled',
        {
          name: 'Eclipse',
          description: null,
          scheduledAt: '2026-05-05T05:05:05.5+02:00',
          expiresAt: null,
          effects: [],
        },
        at('c1', 'w1'),
      ),
    ),
  );
});

afterAll(async () => {
  if (!db) return;
  await dropSchema(db.sql, schema);
  await db.close();
});

describe('PostgresReadModel', () => {
  it('answers every batched method with one query, in key order, null for a missing row or a tombstone', async () => {
    const calls: [string, (keys: any[]) => Promise<unknown[]>, unknown[], unknown[]][] = [
      ['campaignsByIds', (k) => rm.campaignsByIds(k), ['c1', 'nope', 'c2', 'c1'], ['Alpha', null, 'Beta', 'Alpha']],
      [
        'kingdomsByKeys',
        (k) => rm.kingdomsByKeys(k),
        [
          { ...scope('c1'), id: 'k3' },
          { ...scope('c2'), id: 'k1' },
          { ...scope('c1'), id: 'k1' },
        ],
        [null, 'Other campaign', 'Zeta'],
      ],
      [
        'kingdomsByScopes',
        (k) => rm.kingdomsByScopes(k),
        [scope('c1'), scope('c1', 'other'), scope('c2')],
        [['Eta', 'Zeta'], [], ['Other campaign']],
      ],
      [
        'settlementsByParents',
        (k) => rm.settlementsByParents(k),
        [scope('c1'), { ...scope('c1'), kingdomId: 'k1' }, { ...scope('c1'), locationId: 'l1', kingdomId: 'k2' }],
        [['A-town', 'B-town'], ['B-town'], ['A-town']],
      ],
      [
        'structuresBySettlements',
        (k) => rm.structuresBySettlements(k),
        [
          { ...scope('c1'), settlementId: 's2' },
          { ...scope('c1'), settlementId: 's1' },
        ],
        [[], ['Keep']],
      ],
      ['membersByCampaigns', (k) => rm.membersByCampaigns(k), ['c1', 'c2'], [['u1', 'u2'], ['u1']]],
      [
        'rolesByKeys',
        (k) => rm.rolesByKeys(k),
        [
          { campaignId: 'c1', userId: 'u2' },
          { campaignId: 'c2', userId: 'u2' },
        ],
        ['viewer', null],
      ],
      [
        'branchesByKeys',
        (k) => rm.branchesByKeys(k),
        [
          { campaignId: 'c1', id: 'main' },
          { campaignId: 'c1', id: 'x' },
        ],
        ['main', null],
      ],
      [
        'fieldConditionsByScopes',
        (k) => rm.fieldConditionsByScopes(k),
        [scope('c1'), { ...scope('c1'), entityId: 's1' }, { ...scope('c1'), entityType: 'kingdom' }],
        [['f2', 'f1'], ['f2'], []],
      ],
    ];
    for (const [name, call, keys, expected] of calls) {
      statements = 0;
      const result = await call(keys);
      expect(statements, name).toBe(1);
      const pick = (row: unknown): unknown => {
        if (row === null || typeof row === 'string') return row;
        if (Array.isArray(row)) return row.map(pick);
        const r = row as { name?: string; userId?: string; id?: string };
        return name === 'membersByCampaigns'
          ? r.userId
          : name === 'fieldConditionsByScopes' || name === 'branchesByKeys'
            ? r.id
            : r.name;
      };
      expect(result.map(pick), name).toEqual(expected);
      // Each key alone takes the one-key form of the statement (a one-row VALUES): the same answer.
      for (const [i, key] of keys.entries())
        expect((await call([key])).map(pick), `${name}, key ${i} alone`).toEqual([expected[i]]);
    }
    statements = 0;
    expect(await rm.locationsByKeys([])).toEqual([]);
    expect(statements).toBe(0);
  });

  it('returns rows in domain spelling: numbers, GeoJSON, typed values, ISO timestamps', async () => {
    const [campaign] = await rm.campaignsByIds(['c2']);
    expect(campaign).toEqual({ id: 'c2', name: 'Beta', description: 'second', ownerId: 'u1', archived: false, seq: 1 });
    expect((await rm.campaignsOfUser('u1')).map((c) => c.id)).toEqual(['c1', 'c2']);
    const [location] = await rm.locationsByKeys([{ ...scope('c1'), id: 'l1' }]);
    expect(location).toEqual({ ...scope('c1'), id: 'l1', name: 'Spot', geometry: point, seq: 9 });
    const [structure] = await rm.structuresByKeys([{ ...scope('c1'), id: 't1' }]);
    expect(structure).toEqual({
      ...scope('c1'),
      id: 't1',
      settlementId: 's1',
      name: 'Keep',
      structureType: 'keep',
      level: 2,
      condition: 90,
      seq: 12,
    });
    const [variable] = await rm.variablesByKeys([
      { ...scope('c1'), ownerType: 'world-event', ownerId: 'w1', key: 'x' },
    ]);
    expect(variable).toEqual({
      ...scope('c1'),
      ownerType: 'world-event',
      ownerId: 'w1',
      key: 'x',
      value: { type: 'boolean', value: false },
      seq: 13,
    });
    const [condition] = await rm.fieldConditionsByKeys([{ ...scope('c1'), id: 'f2' }]);
    expect(condition).toEqual({
      ...scope('c1'),
      id: 'f2',
      entityType: 'settlement',
      entityId: 's1',
      field: 'b',
      expression: { var: 'y' },
      priority: 9,
      active: false,
      seq: 15,
    });
    const [worldEvent] = (await rm.worldEventsByScopes([scope('c1')]))[0]!;
    expect(worldEvent).toMatchObject({
      id: 'w1',
      status: 'scheduled',
      scheduledAt: '2026-05-05T03:05:05.500Z',
      expiresAt: null,
      effects: [],
      outcome: null,
    });
    const [main] = (await rm.branchesByCampaigns(['c1']))[0]!;
    expect(main).toEqual({
      campaignId: 'c1',
      id: 'main',
      name: 'main',
      parentBranchId: null,
      forkedAtSeq: null,
      seq: 2,
    });
    expect(await rm.checkpoint('postgres')).toBe(16);
    expect(await rm.checkpoint('redis')).toBe(0);
  });
});
