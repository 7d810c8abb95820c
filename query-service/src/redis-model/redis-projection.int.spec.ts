import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, waitForSagas } from '@cm/testkit';
import { loadQueryConfig } from '../config.js';
import { jetStreamHistory, readEvents } from '../projector/event-history.js';
import { ModelLostError } from '../projector/postgres-projector.js';
import type { SequencedEvent } from '../projector/postgres.projection.js';
import { CheckpointMovedError, ProjectionWriter } from '../projector/projection-writer.js';
import { ProjectorTestSystem } from '../projector/projector-system.test-util.js';
import { projectStream } from '../projector/rebuild.js';
import type { Database } from '../read-model/database.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { redisModelPrefix } from './redis-projector.js';
import { RedisReadModel } from './redis-read-model.js';
import { RedisProjectionWriter } from './redis-writer.js';
import { deleteUnder, dumpRedis, postgresModelRows, redisModelRows } from './model-rows.test-util.js';

// The Redis projection against a stream the command service writes, held to the Postgres projection of the same
// stream row for row. Keys live under this run's own prefix in the default database and are deleted after.
const system = new ProjectorTestSystem('redis-projection-test');
const { names } = system;
const prefix = redisModelPrefix(system.ns);
const C = 'realm';
let db: Database;
let redis: ModelRedis;
let writer: RedisProjectionWriter;
let pgWriter: ProjectionWriter;
const forks: string[] = [];

const head = async () => (await system.nats.jsm.streams.info(names.eventStream)).state.last_seq;

async function projectBoth(): Promise<number> {
  await waitForSagas(system.nats, names);
  await projectStream(system.nats, names, pgWriter);
  return projectStream(system.nats, names, writer, { batchSize: 7, onBatch: (r) => forks.push(...r.forks) });
}

async function allEvents(): Promise<SequencedEvent[]> {
  const events: SequencedEvent[] = [];
  for await (const e of readEvents(system.nats, names, {
    filter: names.eventWildcard,
    uptoSeq: await lastSeq(system.nats, names),
  }))
    events.push(e);
  return events;
}

/** Every list read the API serves from Redis answers as the Postgres read model does, for every branch. */
async function expectListsAsPostgres(branches: string[]): Promise<void> {
  const model = new RedisReadModel(redis, prefix);
  const pg = db.readModel;
  const scopes = branches.map((branchId) => ({ campaignId: C, branchId }));
  expect(await model.kingdomsByScopes(scopes, 0)).toEqual(await pg.kingdomsByScopes(scopes));
  expect(await model.locationsByScopes(scopes, 0)).toEqual(await pg.locationsByScopes(scopes));
  const parents = scopes.flatMap((s) => [
    s,
    { ...s, kingdomId: 'k1' },
    { ...s, locationId: 'l1' },
    { ...s, kingdomId: 'k1', locationId: 'l2' },
  ]);
  expect(await model.settlementsByParents(parents, 0)).toEqual(await pg.settlementsByParents(parents));
  const settlements = scopes.flatMap((s) => ['s1', 's2'].map((settlementId) => ({ ...s, settlementId })));
  expect(await model.structuresBySettlements(settlements, 0)).toEqual(await pg.structuresBySettlements(settlements));
  const owners = scopes.flatMap((s) => [
    { ...s, ownerType: 'settlement' as const, ownerId: 's1' },
    { ...s, ownerType: 'kingdom' as const, ownerId: 'k1' },
  ]);
  expect(await model.variablesByOwners(owners, 0)).toEqual(await pg.variablesByOwners(owners));
  const members = ['gm-1', 'u2', 'nobody'].map((userId) => ({ campaignId: C, userId }));
  expect(await model.rolesByKeys(members, 0)).toEqual(await pg.rolesByKeys(members));
  const branchRefs = [...branches, 'nope'].map((id) => ({ campaignId: C, id }));
  expect(await model.branchesByKeys(branchRefs, 0)).toEqual(await pg.branchesByKeys(branchRefs));
  const keys = scopes.flatMap((s) => ['s1', 's2', 'nope'].map((id) => ({ ...s, id })));
  expect(await model.settlementsByKeys(keys, 0)).toEqual(await pg.settlementsByKeys(keys));
}

beforeAll(async () => {
  await system.start();
  db = await system.database();
  redis = connectModelRedis(loadQueryConfig({ NODE_ENV: 'test' }).REDIS_URL, 0);
  writer = new RedisProjectionWriter(redis, { live: prefix }, jetStreamHistory(system.nats, names), head);
  pgWriter = new ProjectionWriter(db, jetStreamHistory(system.nats, names));
});

afterAll(async () => {
  if (redis) {
    await deleteUnder(redis.redis, prefix);
    await redis.quit();
  }
  await system.stop();
});

describe('Redis projection', () => {
  let checkpoint = 0;

  it('projects a realistic campaign into the same rows and lists as Postgres', async () => {
    const c = system.client;
    await c.must('campaign.create', C, C, { name: 'The Realm' });
    await c.must('campaign.add-member', C, C, { userId: 'u2', role: 'player' });
    await c.must('campaign.remove-member', C, C, { userId: 'u2' });
    await c.must('kingdom.create', C, 'k1', { name: 'North' });
    await c.must('kingdom.create', C, 'k2', { name: 'South' });
    await c.must('kingdom.create', C, 'k3', { name: 'Ästmark' });
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
    await c.must('settlement.create', C, 's3', { kingdomId: 'k3', locationId: 'l2', name: 'Bog' });
    await c.must('settlement.set-level', C, 's1', { level: 5 });
    await c.must('settlement.rename', C, 's1', { name: 'Fordhaven' });
    await c.must('settlement.move', C, 's2', { locationId: 'l1' }); // leaves l2's list for l1's
    await c.must('structure.create', C, 'st1', { settlementId: 's1', name: 'Mill', structureType: 'mill' });
    await c.must('structure.create', C, 'st2', { settlementId: 's1', name: 'Wall', structureType: 'wall', level: 2 });
    await c.must('structure.create', C, 'st3', { settlementId: 's2', name: 'Hut', structureType: 'hut' });
    await c.must('structure.set-condition', C, 'st1', { condition: 60 });
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
    const effects = [{ ...owner, key: 'morale', value: { type: 'number' as const, value: 7 } }];
    await c.must('world-event.schedule', C, 'we1', {
      name: 'Harvest',
      scheduledAt: '2026-03-01T12:00:00+01:00',
      effects,
    });
    await c.must('world-event.resolve', C, 'we1', { outcome: 'plenty' });
    await c.must('settlement.delete', C, 's3', {});

    checkpoint = await projectBoth();
    expect(checkpoint).toBe(await lastSeq(system.nats, names));
    const rows = await redisModelRows(redis.redis, prefix);
    expect(rows.settlement).toHaveLength(3); // s3 as a tombstone
    expect(rows).toEqual(await postgresModelRows(db));
    await expectListsAsPostgres(['main']);
    const meta = await redis.redis.hgetall(`${prefix}meta`);
    expect(meta).toMatchObject({ seq: String(checkpoint), state: 'complete' });
  });

  it('changes nothing when a batch is delivered again, whole or overlapping', async () => {
    const before = await dumpRedis(redis.redis, prefix);
    const events = await allEvents();
    expect(await writer.apply(events, { expectedCheckpoint: checkpoint })).toMatchObject({ checkpoint });
    await writer.apply(events.slice(Math.floor(events.length / 3), Math.floor((2 * events.length) / 3)), {
      expectedCheckpoint: checkpoint,
    });
    expect(await dumpRedis(redis.redis, prefix)).toEqual(before);
  });

  it('is fenced: a writer that expects another checkpoint or generation writes nothing', async () => {
    const before = await dumpRedis(redis.redis, prefix);
    const events = await allEvents();
    const rename = events.filter((e) => e.event.type === 'KingdomRenamed').map((e) => ({ ...e, seq: checkpoint + 1 }));
    await expect(writer.apply(rename, { expectedCheckpoint: checkpoint - 1 })).rejects.toBeInstanceOf(
      CheckpointMovedError,
    );
    const stranger = new RedisProjectionWriter(redis, { live: prefix }, jetStreamHistory(system.nats, names), head);
    // A writer that never read the generation has none; one whose generation was replaced is refused by the script.
    await expect(stranger.apply(rename, { expectedCheckpoint: checkpoint })).rejects.toBeInstanceOf(ModelLostError);
    await redis.redis.hset(`${prefix}meta`, 'gen', 'another-generation');
    await expect(writer.apply(rename, { expectedCheckpoint: checkpoint })).rejects.toBeInstanceOf(ModelLostError);
    expect(await writer.lost()).toMatch(/replaced/);
    await redis.redis.hset(
      `${prefix}meta`,
      'gen',
      (before[`${prefix}meta`] as [string, string][]).find(([f]) => f === 'gen')![1],
    );
    expect(await dumpRedis(redis.redis, prefix)).toEqual(before);
    expect(await writer.lost()).toBeUndefined();
  });

  it('fills forks from the stream, at the head and at an earlier sequence, forks of forks', async () => {
    const c = system.client;
    const x = checkpoint;
    await c.must('kingdom.rename', C, 'k1', { name: 'Changed' });
    await c.must('settlement.set-level', C, 's1', { level: 9 });
    await c.must('structure.delete', C, 'st1', {});
    const headForkSeq = await c.must('branch.fork', C, 'b-head', { parentBranchId: 'main', name: 'Head' });
    await c.must('branch.fork', C, 'b-past', { parentBranchId: 'main', name: 'Past', atSeq: x });
    await c.must('settlement.rename', C, 's1', { name: 'Branchton' }, { branchId: 'b-head' });
    await c.must('kingdom.create', C, 'k4', { name: 'Only in head' }, { branchId: 'b-head' });
    await c.must('branch.fork', C, 'b-nested', { parentBranchId: 'b-head', name: 'Nested', atSeq: headForkSeq });
    checkpoint = await projectBoth();
    expect(forks).toEqual(['replayed', 'replayed', 'replayed']);
    expect(await redisModelRows(redis.redis, prefix)).toEqual(await postgresModelRows(db));
    await expectListsAsPostgres(['main', 'b-head', 'b-past', 'b-nested']);

    // Forks included, the whole stream again in one batch is a no-op.
    const before = await dumpRedis(redis.redis, prefix);
    expect((await writer.apply(await allEvents(), { expectedCheckpoint: checkpoint })).forks).toEqual([
      'already-applied',
      'already-applied',
      'already-applied',
    ]);
    expect(await dumpRedis(redis.redis, prefix)).toEqual(before);
  });
});
