import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, waitForSagas } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { jetStreamHistory, readEvents } from './event-history.js';
import { dumpTables } from './int-support.test-util.js';
import { ProjectionWriter, type ApplyResult } from './projection-writer.js';
import { ProjectorTestSystem } from './projector-system.test-util.js';
import { projectStream } from './rebuild.js';
import { BRANCH_SCOPED_TABLES } from '../read-model/tables.js';
import { tableRef } from './row-statements.js';

const system = new ProjectorTestSystem('projection-writer-test');
const { names } = system;
const C = 'realm';
let live: Database;
let fresh: Database;
let writer: ProjectionWriter;
let freshWriter: ProjectionWriter;
const forks: ApplyResult['forks'] = [];

/** Applies everything new in the stream to the live schema, in small batches that cut across the scenario. */
async function projectLive(): Promise<number> {
  await waitForSagas(system.nats, names);
  return projectStream(system.nats, names, writer, { batchSize: 7, onBatch: (r) => forks.push(...r.forks) });
}

/** The branch-scoped rows of one branch, without the branch id, so that two branches can be compared. */
async function branchRows(db: Database, branchId: string): Promise<Record<string, unknown[]>> {
  const dump = await dumpTables(db.sql, db.schema);
  const out: Record<string, unknown[]> = {};
  for (const table of BRANCH_SCOPED_TABLES) {
    out[table] = dump[table]!.filter(
      (r) =>
        (r as { campaign_id: string; branch_id: string }).campaign_id === C &&
        (r as { branch_id: string }).branch_id === branchId,
    ).map((r) => ({ ...(r as object), branch_id: '*' }));
  }
  return out;
}

beforeAll(async () => {
  await system.start();
  live = await system.database();
  fresh = await system.database('_fresh');
  writer = new ProjectionWriter(live, jetStreamHistory(system.nats, names));
  freshWriter = new ProjectionWriter(fresh, jetStreamHistory(system.nats, names));
});

afterAll(() => system.stop());

describe('ProjectionWriter against a stream written by the command service', () => {
  let beforeForks = 0;

  it('projects a realistic campaign and answers the read model from it', async () => {
    const c = system.client;
    await c.must('campaign.create', C, C, { name: 'The Realm' });
    await c.must('campaign.add-member', C, C, { userId: 'u2', role: 'player' });
    await c.must('campaign.add-member', C, C, { userId: 'u3', role: 'viewer' });
    await c.must('campaign.change-member-role', C, C, { userId: 'u3', role: 'gm' });
    await c.must('campaign.remove-member', C, C, { userId: 'u2' });
    await c.must('kingdom.create', C, 'k1', { name: 'North' });
    await c.must('kingdom.create', C, 'k2', { name: 'South' });
    await c.must('kingdom.rename', C, 'k1', { name: 'Northreach' });
    await c.must('kingdom.delete', C, 'k2', {});
    await c.must('location.create', C, 'l1', { name: 'Ford', geometry: { type: 'Point', coordinates: [10.5, 50.25] } });
    const square = [
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 0],
      [0, 0],
    ] as [number, number][];
    await c.must('location.create', C, 'l2', { name: 'Marsh', geometry: { type: 'Polygon', coordinates: [square] } });
    await c.must('location.reshape', C, 'l1', { geometry: { type: 'Point', coordinates: [11, 51] } });
    await c.must('settlement.create', C, 's1', { kingdomId: 'k1', locationId: 'l1', name: 'Fordham', level: 2 });
    await c.must('settlement.create', C, 's2', { kingdomId: 'k1', locationId: 'l2', name: 'Bog' });
    await c.must('settlement.set-level', C, 's1', { level: 5 });
    await c.must('settlement.rename', C, 's1', { name: 'Fordhaven' });
    await c.must('settlement.move', C, 's2', { locationId: 'l1' });
    await c.must('structure.create', C, 'st1', { settlementId: 's1', name: 'Mill', structureType: 'mill' });
    await c.must('structure.create', C, 'st2', { settlementId: 's1', name: 'Wall', structureType: 'wall', level: 2 });
    await c.must('structure.create', C, 'st3', { settlementId: 's2', name: 'Hut', structureType: 'hut' });
    await c.must('structure.set-condition', C, 'st1', { condition: 60 });
    await c.must('structure.set-type', C, 'st2', { structureType: 'palisade' });
    await c.must('settlement.delete', C, 's2', {}); // the cascade saga deletes st3
    const owner = { ownerType: 'settlement' as const, ownerId: 's1' };
    await c.must('state-variable.set', C, 'settlement~s1', {
      ...owner,
      key: 'gold',
      value: { type: 'number', value: 10 },
    });
    await c.must('state-variable.set', C, 'settlement~s1', {
      ...owner,
      key: 'banner',
      value: { type: 'string', value: 'red' },
    });
    await c.must('state-variable.set', C, 'settlement~s1', {
      ...owner,
      key: 'flags',
      value: { type: 'json', value: { a: [1, null] } },
    });
    await c.must('state-variable.unset', C, 'settlement~s1', { ...owner, key: 'banner' });
    await c.must('state-variable.set', C, 'kingdom~k1', {
      ownerType: 'kingdom',
      ownerId: 'k1',
      key: 'ruler',
      value: { type: 'string', value: 'Ada' },
    });
    await c.must('field-condition.define', C, 'fc1', {
      entityType: 'settlement',
      field: 'wealth',
      expression: { var: 'variables.gold' },
      priority: 2,
    });
    await c.must('field-condition.define', C, 'fc2', {
      entityType: 'settlement',
      entityId: 's1',
      field: 'fame',
      expression: { '+': [1, 1] },
    });
    await c.must('field-condition.update', C, 'fc1', { priority: 5 });
    await c.must('field-condition.delete', C, 'fc2', {});
    const effects = [{ ...owner, key: 'morale', value: { type: 'number' as const, value: 7 } }];
    await c.must('world-event.schedule', C, 'we1', {
      name: 'Harvest',
      scheduledAt: '2026-03-01T12:00:00+01:00',
      effects,
    });
    await c.must('world-event.activate', C, 'we1', {});
    await c.must('world-event.resolve', C, 'we1', { outcome: 'plenty' }); // the effects saga sets `morale`
    await c.must('campaign.rename', C, C, { name: 'The Old Realm' });

    beforeForks = await projectLive();
    expect(beforeForks).toBe(await lastSeq(system.nats, names));
    const rm = live.readModel;
    const main = { campaignId: C, branchId: 'main' };
    expect(await rm.campaignsByIds([C, 'nope'])).toEqual([
      { id: C, name: 'The Old Realm', description: null, ownerId: 'gm-1', archived: false, seq: expect.any(Number) },
      null,
    ]);
    expect((await rm.membersByCampaigns([C]))[0]!.map((m) => [m.userId, m.role])).toEqual([
      ['gm-1', 'owner'],
      ['u3', 'gm'],
    ]);
    expect(
      await rm.rolesByKeys([
        { campaignId: C, userId: 'u2' },
        { campaignId: C, userId: 'u3' },
      ]),
    ).toEqual([null, 'gm']);
    expect((await rm.campaignsOfUser('u3')).map((x) => x.id)).toEqual([C]);
    expect((await rm.branchesByCampaigns([C]))[0]!.map((b) => b.id)).toEqual(['main']);
    expect((await rm.kingdomsByScopes([main]))[0]!.map((k) => k.name)).toEqual(['Northreach']);
    const [l1, l2] = await rm.locationsByKeys([
      { ...main, id: 'l1' },
      { ...main, id: 'l2' },
    ]);
    expect(l1!.geometry).toEqual({ type: 'Point', coordinates: [11, 51] });
    expect(l2!.geometry).toEqual({ type: 'Polygon', coordinates: [square] });
    const [s1, s2] = await rm.settlementsByKeys([
      { ...main, id: 's1' },
      { ...main, id: 's2' },
    ]);
    expect(s1).toMatchObject({ name: 'Fordhaven', level: 5, kingdomId: 'k1', locationId: 'l1' });
    expect(s2).toBeNull();
    expect(
      (
        await rm.settlementsByParents([
          { ...main, kingdomId: 'k1' },
          { ...main, locationId: 'l2' },
        ])
      ).map((r) => r.map((s) => s.id)),
    ).toEqual([['s1'], []]);
    const structures = (
      await rm.structuresBySettlements([
        { ...main, settlementId: 's1' },
        { ...main, settlementId: 's2' },
      ])
    ).map((r) => r.map((s) => [s.id, s.structureType, s.condition]));
    expect(structures).toEqual([
      [
        ['st1', 'mill', 60],
        ['st2', 'palisade', 100],
      ],
      [],
    ]);
    const vars = (await rm.variablesByOwners([{ ...main, ...owner }]))[0]!.map((v) => [v.key, v.value]);
    expect(vars).toEqual([
      ['flags', { type: 'json', value: { a: [1, null] } }],
      ['gold', { type: 'number', value: 10 }],
      ['morale', { type: 'number', value: 7 }],
    ]);
    expect((await rm.variablesByScopes([main]))[0]).toHaveLength(4);
    const conditions = await rm.fieldConditionsByScopes([
      { ...main, entityType: 'settlement' },
      { ...main, entityType: 'kingdom' },
    ]);
    expect(conditions.map((r) => r.map((f) => [f.id, f.priority, f.entityId]))).toEqual([[['fc1', 5, null]], []]);
    const [we1] = await rm.worldEventsByKeys([{ ...main, id: 'we1' }]);
    expect(we1).toMatchObject({
      status: 'resolved',
      outcome: 'plenty',
      scheduledAt: '2026-03-01T11:00:00.000Z',
      expiresAt: null,
      effects,
    });
    expect(await rm.checkpoint('postgres')).toBe(beforeForks);
  });

  it('changes nothing when batches are applied again, whole or overlapping', async () => {
    const before = await dumpTables(live.sql, live.schema, { updatedAt: true });
    const events = [];
    for await (const e of readEvents(system.nats, names, { filter: names.eventWildcard, uptoSeq: beforeForks }))
      events.push(e);
    const again = await writer.apply(events);
    expect(again).toMatchObject({ checkpoint: beforeForks, rowsChanged: 0 });
    await writer.apply(events.slice(Math.floor(events.length / 3), Math.floor((2 * events.length) / 3)));
    // The same through the one-statement path a fenced batch without forks takes (the projector's usual one).
    const fenced = await writer.apply(events, { expectedCheckpoint: beforeForks });
    expect(fenced).toMatchObject({ checkpoint: beforeForks, rowsChanged: 0 });
    expect(await dumpTables(live.sql, live.schema, { updatedAt: true })).toEqual(before);
  });

  it('fills forks: a copy at the head, a replay at an earlier sequence, forks of forks', async () => {
    const c = system.client;
    const x = beforeForks;
    await c.must('kingdom.rename', C, 'k1', { name: 'Changed' });
    await c.must('kingdom.create', C, 'k3', { name: 'East' });
    await c.must('settlement.set-level', C, 's1', { level: 9 });
    await c.must('structure.delete', C, 'st1', {});
    await c.must('state-variable.unset', C, 'settlement~s1', { ownerType: 'settlement', ownerId: 's1', key: 'flags' });
    const headForkSeq = await c.must('branch.fork', C, 'b-head', { parentBranchId: 'main', name: 'Head' });
    await c.must('branch.fork', C, 'b-past', { parentBranchId: 'main', name: 'Past', atSeq: x });
    await projectLive();
    expect(forks).toEqual(['copied', 'replayed']);

    // The past fork is main as it was at x: compare with a fresh projection of the stream up to x.
    await projectStream(system.nats, names, freshWriter, { uptoSeq: x });
    expect(await branchRows(live, 'b-past')).toEqual(await branchRows(fresh, 'main'));
    expect(await branchRows(live, 'b-head')).toEqual(await branchRows(live, 'main'));
    const mainAtHeadFork = await branchRows(live, 'main');

    await c.must('settlement.rename', C, 's1', { name: 'Branchton' }, { branchId: 'b-head' });
    await c.must('kingdom.create', C, 'k4', { name: 'Only in head' }, { branchId: 'b-head' });
    await c.must('settlement.set-level', C, 's1', { level: 1 });
    await c.must('branch.fork', C, 'b-nested', { parentBranchId: 'b-head', name: 'Nested', atSeq: headForkSeq });
    await c.must('branch.fork', C, 'b-copy', { parentBranchId: 'b-head', name: 'Copy' });
    await c.must('branch.rename', C, 'b-copy', { name: 'Copy of head' });
    await projectLive();
    expect(forks).toEqual(['copied', 'replayed', 'replayed', 'copied']);

    expect(await branchRows(live, 'b-nested')).toEqual(mainAtHeadFork);
    expect(await branchRows(live, 'b-copy')).toEqual(await branchRows(live, 'b-head'));
    const rm = live.readModel;
    const s1 = (branchId: string) => ({ campaignId: C, branchId, id: 's1' });
    const names1 = (await rm.settlementsByKeys([s1('main'), s1('b-head'), s1('b-past'), s1('b-nested')])).map((s) => [
      s?.name,
      s?.level,
    ]);
    expect(names1).toEqual([
      ['Fordhaven', 1],
      ['Branchton', 9],
      ['Fordhaven', 5],
      ['Fordhaven', 9],
    ]);
    const branches = (await rm.branchesByCampaigns([C]))[0]!.map((b) => [
      b.id,
      b.name,
      b.parentBranchId,
      b.forkedAtSeq,
    ]);
    expect(branches).toEqual([
      ['main', 'main', null, null],
      ['b-copy', 'Copy of head', 'b-head', expect.any(Number)],
      ['b-head', 'Head', 'main', headForkSeq - 1],
      ['b-nested', 'Nested', 'b-head', headForkSeq],
      ['b-past', 'Past', 'main', x],
    ]);

    // Forks included, a second pass over the whole stream is a no-op, and a one-batch fresh projection agrees.
    const before = await dumpTables(live.sql, live.schema, { updatedAt: true });
    const events = [];
    for await (const e of readEvents(system.nats, names, {
      filter: names.eventWildcard,
      uptoSeq: await lastSeq(system.nats, names),
    }))
      events.push(e);
    expect((await writer.apply(events)).forks).toEqual([
      'already-applied',
      'already-applied',
      'already-applied',
      'already-applied',
    ]);
    expect(await dumpTables(live.sql, live.schema, { updatedAt: true })).toEqual(before);
    await projectStream(system.nats, names, freshWriter, { batchSize: 100_000 });
    expect(await dumpTables(fresh.sql, fresh.schema)).toEqual(await dumpTables(live.sql, live.schema));
    const rows = await live.sql.all(`SELECT count(*)::int AS n FROM ${tableRef(live.schema, 'settlement')}`);
    expect(rows[0]).toEqual({ n: 10 }); // s1, s2 in main and every fork: tombstones stay
  });
});
