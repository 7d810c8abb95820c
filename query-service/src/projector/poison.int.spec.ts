import { natsNames } from '@cm/contracts';
import { createMetrics, ensureEventStream, type Nats, type Registry } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace, until } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { event, publishCommit } from './events.test-util.js';
import { dropSchema, openTestDatabase, testConfig, testLogger } from './int-support.test-util.js';
import { type ParkedControlReply, type ParkedControlRequest } from './parked-control.js';
import { startProjector, type Projector } from './postgres-projector.js';
import { PostgresParkingStore } from './parking-store.js';

/*
 * A poison event, made the way one happens in production: its write violates a constraint of the read model (a
 * CHECK this test adds to its own schema, which a later "fix" drops). No hook in the projector, no mock.
 */

const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
const C = 'c1';
let nats: Nats;
let db: Database;
let projector: Projector | undefined;

async function metric(registry: Registry, name: string): Promise<number> {
  const m = await registry.getSingleMetric(name)!.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

async function control(request: ParkedControlRequest): Promise<ParkedControlReply> {
  const reply = await nats.nc.request(names.parkedControlSubject('postgres'), JSON.stringify(request), {
    timeout: 10_000,
  });
  return JSON.parse(reply.string()) as ParkedControlReply;
}

const kingdoms = async () =>
  (await db.readModel.kingdomsByScopes([{ campaignId: C, branchId: 'main' }]))[0]!
    .map((k) => `${k.id}:${k.name}`)
    .sort();
const caughtUp = (seq: number) =>
  until(`checkpoint ${seq}`, async () => (await db.readModel.checkpoint('postgres')) === seq);
const kingdom = (id: string, name: string) =>
  publishCommit(nats, names, [event('KingdomCreated', { name }, { campaignId: C, entityId: id })]);
const rename = (id: string, name: string) =>
  publishCommit(nats, names, [event('KingdomRenamed', { name }, { campaignId: C, entityId: id })]);

beforeAll(async () => {
  nats = await connectTestNats('poison-test');
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  db = await openTestDatabase(ns, schema);
});

/** The "bug": every write of a kingdom whose id starts with `prefix` fails, until the test "fixes" it. */
const breakProjection = (prefix: string) =>
  db.sql.run(`ALTER TABLE "${schema}".kingdom ADD CONSTRAINT no_poison CHECK (id NOT LIKE '${prefix}%')`);
const fixProjection = () => db.sql.run(`ALTER TABLE "${schema}".kingdom DROP CONSTRAINT IF EXISTS no_poison`);

afterAll(async () => {
  await projector?.stop();
  if (db) {
    await dropSchema(db.sql, schema);
    await db.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('poison events', () => {
  it('parks a failing commit after its retries with the later commits of its aggregate, goes on with the others, and retries them in order once fixed', async () => {
    const registry = createMetrics('poison');
    await breakProjection('poison');
    const config = testConfig(ns, schema, {
      PROJECTOR_BATCH_SIZE: '50',
      PROJECTOR_MAX_ATTEMPTS: '3',
      PROJECTOR_RETRY_BACKOFF_MS: '20',
      PROJECTOR_READY_MAX_LAG_SECONDS: '1',
    });
    await publishCommit(nats, names, [
      event('CampaignCreated', { name: 'Poison test', description: null, ownerId: 'u1' }, { campaignId: C }),
    ]);
    await kingdom('k1', 'Good one');
    const poison = await kingdom('poison2', 'Poison');
    await kingdom('k3', 'Good three');
    const behind = await rename('poison2', 'Renamed after poison');
    const behindToo = await rename('poison2', 'Renamed twice');
    await rename('k1', 'Good one renamed');
    const last = await kingdom('k4', 'Good four');
    projector = await startProjector({ config, logger: testLogger(), nats, names, db, registry });

    await caughtUp(last);
    expect(await kingdoms()).toEqual(['k1:Good one renamed', 'k3:Good three', 'k4:Good four']);
    const parking = new PostgresParkingStore(schema, 'postgres');
    const parked = await parking.list(db.sql);
    expect(parked.map((p) => [p.seq, p.aggregate, p.attempts, p.status])).toEqual([
      [poison, `kingdom:poison2@${C}/main`, 3, 'parked'],
      [behind, `kingdom:poison2@${C}/main`, 0, 'parked'],
      [behindToo, `kingdom:poison2@${C}/main`, 0, 'parked'],
    ]);
    expect(parked[0]!.error).toMatch(/no_poison/);
    expect(parked[0]!.eventTypes).toEqual(['KingdomCreated']);
    expect(await metric(registry, 'cm_projector_parked_total')).toBe(3);
    expect(await metric(registry, 'cm_projector_poison_retries_total')).toBe(3);

    // A later commit of the held aggregate is parked behind the others as it arrives; other aggregates go on.
    const arriving = await rename('poison2', 'Renamed thrice');
    const other = await kingdom('k5', 'Good five');
    await caughtUp(other);
    expect(await kingdoms()).toEqual(['k1:Good one renamed', 'k3:Good three', 'k4:Good four', 'k5:Good five']);
    expect((await parking.list(db.sql, 'parked')).map((p) => p.seq)).toEqual([poison, behind, behindToo, arriving]);
    const ready = await projector.checks[0]!.check();
    expect(ready).toMatchObject({ parked: 4 });

    // Retrying before the fix changes nothing: the poison fails again and holds the rest back.
    expect(await control({ op: 'retry' })).toEqual({ ok: true, applied: [], stillParked: 4 });
    expect((await parking.list(db.sql))[0]!.attempts).toBe(4);

    await fixProjection();
    expect(await control({ op: 'retry' })).toEqual({
      ok: true,
      applied: [poison, behind, behindToo, arriving],
      stillParked: 0,
    });
    expect(await kingdoms()).toEqual([
      'k1:Good one renamed',
      'k3:Good three',
      'k4:Good four',
      'k5:Good five',
      'poison2:Renamed thrice',
    ]);
    expect(await parking.list(db.sql)).toEqual([]);

    // Nothing held back any more: the aggregate's next commit is applied as it arrives.
    const after = await rename('poison2', 'Live again');
    await caughtUp(after);
    expect(await kingdoms()).toContain('poison2:Live again');
  });

  it('skips a parked commit with a recorded reason; the later commits of its aggregate wait for a retry', async () => {
    await breakProjection('toxic');
    const poison = await kingdom('toxic6', 'Poison');
    const behind = await rename('toxic6', 'Named after the skip');
    await caughtUp(behind);
    const parking = new PostgresParkingStore(schema, 'postgres');
    await until('parked', async () => (await parking.list(db.sql, 'parked')).length === 2);

    expect(await control({ op: 'skip', seq: behind + 1000, reason: 'wrong id' })).toEqual({
      ok: false,
      error: `no parked commit at sequence ${behind + 1000}`,
    });
    expect(
      await control({ op: 'skip', seq: poison, reason: 'created with a forbidden name; renamed right after' }),
    ).toEqual({ ok: true, applied: [], stillParked: 1 });
    const skipped = (await parking.list(db.sql, 'skipped'))[0]!;
    expect(skipped).toMatchObject({
      seq: poison,
      status: 'skipped',
      reason: 'created with a forbidden name; renamed right after',
    });

    // The rename updates a row the skipped create never wrote: the read model has no k6, and the retry applies it.
    expect(await control({ op: 'retry' })).toEqual({ ok: true, applied: [behind], stillParked: 0 });
    expect((await kingdoms()).some((k) => k.startsWith('toxic6:'))).toBe(false);
  });

  it('turns unready past PROJECTOR_READY_MAX_LAG_SECONDS, and ready again once caught up', async () => {
    const lagCheck = projector!.checks.find((c) => c.name === 'projector-lag')!;
    await expect(lagCheck.check()).resolves.toMatchObject({ secondsBehind: 0 });
    // Another transaction holds the checkpoint row: the projector's next batch waits for it, as behind a slow disk.
    let seq = 0;
    await db.transaction(async (sql) => {
      await sql.all(`SELECT seq FROM "${schema}".projection_checkpoint WHERE name = 'postgres' FOR UPDATE`);
      seq = await kingdom('k7', 'Waiting');
      const failure = await until('the lag check to fail', () =>
        lagCheck.check().then(
          () => false,
          (e: Error) => e.message,
        ),
      );
      expect(failure).toMatch(/behind \(over PROJECTOR_READY_MAX_LAG_SECONDS=1\)/);
    });
    await caughtUp(seq);
    await until('the lag check to pass', () =>
      lagCheck.check().then(
        () => true,
        () => false,
      ),
    );
  });
});
