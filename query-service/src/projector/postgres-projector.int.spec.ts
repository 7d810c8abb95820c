import { natsNames } from '@cm/contracts';
import { createMetrics, ensureEventStream, type Nats, type Registry } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTestNats, connectTestNats, dropNamespace, lastSeq, testNamespace, until } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { event, publishCommit } from './events.test-util.js';
import { jetStreamHistory } from './event-history.js';
import { dropSchema, openTestDatabase, testConfig, testLogger } from './int-support.test-util.js';
import { startProjector, type Projector } from './postgres-projector.js';
import { CheckpointMovedError, ProjectionWriter } from './projection-writer.js';

const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
const C = 'c1';
let nats: Nats;
let db: Database;
const running: Projector[] = [];

async function applied(registry: Registry): Promise<number> {
  const metric = await registry.getSingleMetric('cm_projector_events_applied_total')!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

async function start(registry: Registry): Promise<Projector> {
  const config = testConfig(ns, schema, { PROJECTOR_LEASE_TTL_MS: '2000', PROJECTOR_BATCH_SIZE: '20' });
  const projector = await startProjector({ config, logger: testLogger(), nats, names, db, registry });
  running.push(projector);
  return projector;
}

async function publishKingdoms(from: number, count: number): Promise<number> {
  let seq = 0;
  for (let i = from; i < from + count; i += 1) {
    seq = await publishCommit(nats, names, [
      event('KingdomCreated', { name: `Kingdom ${i}` }, { campaignId: C, entityId: `k${i}` }),
    ]);
  }
  return seq;
}

const caughtUp = (seq: number) =>
  until(`checkpoint ${seq}`, async () => (await db.readModel.checkpoint('postgres')) === seq || undefined);

beforeAll(async () => {
  nats = await connectTestNats('projector-test');
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  db = await openTestDatabase(ns, schema);
});

afterAll(async () => {
  for (const p of running) await p.stop();
  if (db) {
    await dropSchema(db.sql, schema);
    await db.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('postgres projector', () => {
  it('runs one active instance of two; the standby takes over when the active one stops', async () => {
    const registries = [createMetrics('a'), createMetrics('b')] as const;
    const projectors = [await start(registries[0]), await start(registries[1])];
    await publishCommit(nats, names, [
      event('CampaignCreated', { name: 'Lease test', description: null, ownerId: 'u1' }, { campaignId: C }),
    ]);
    const first = await publishKingdoms(0, 100);
    await caughtUp(first);

    const active = projectors.findIndex((p) => p.status().state === 'active');
    expect(active).toBeGreaterThanOrEqual(0);
    const standby = 1 - active;
    expect(projectors[standby]!.status().state).toBe('standby');
    expect(await applied(registries[active]!)).toBe(101);
    expect(await applied(registries[standby]!)).toBe(0);

    await projectors[active]!.stop();
    expect(projectors[active]!.status().state).toBe('stopped');
    await until('takeover', () => projectors[standby]!.status().state === 'active');
    const second = await publishKingdoms(100, 50);
    await caughtUp(second);
    expect(await applied(registries[active]!)).toBe(101);
    expect(await applied(registries[standby]!)).toBe(50);
    expect((await db.readModel.kingdomsByScopes([{ campaignId: C, branchId: 'main' }]))[0]).toHaveLength(150);
    await projectors[standby]!.stop();
  });

  it('announces each checkpoint, and re-announces it while idle', async () => {
    const projector = await start(createMetrics('c'));
    const seen: number[] = [];
    const sub = nats.nc.subscribe(names.checkpointSubject('postgres'), {
      callback: (_err, msg) => {
        const body = msg.json<{ projection: string; seq: number }>();
        expect(body.projection).toBe('postgres');
        seen.push(body.seq);
      },
    });
    const seq = await publishKingdoms(200, 3);
    await until('announcement of the last sequence', () => seen.includes(seq) || undefined);
    const count = seen.filter((s) => s === seq).length;
    await until('a repeated announcement', () => seen.filter((s) => s === seq).length > count || undefined);
    expect(seq).toBe(await lastSeq(nats, names));
    sub.unsubscribe();
    await projector.stop();
  });

  it('fences a writer that lost its lease: a moved checkpoint fails its batch, which writes nothing', async () => {
    const writer = new ProjectionWriter(db, jetStreamHistory(nats, names));
    const stored = await writer.checkpoint();
    const late = [
      { seq: stored + 1, event: event('KingdomRenamed', { name: 'Too late' }, { campaignId: C, entityId: 'k1' }) },
    ];
    await expect(writer.apply(late, { expectedCheckpoint: stored - 1 })).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await writer.checkpoint()).toBe(stored);
    const [k1] = await db.readModel.kingdomsByKeys([{ campaignId: C, branchId: 'main', id: 'k1' }]);
    expect(k1!.name).toBe('Kingdom 1');
  });

  it('lets exactly one of two writers racing from the same checkpoint commit; the other writes nothing', async () => {
    const a = new ProjectionWriter(db, jetStreamHistory(nats, names));
    const b = new ProjectionWriter(db, jetStreamHistory(nats, names));
    const stored = await a.checkpoint();
    const batch = (name: string, id: string) => [
      { seq: stored + 1, event: event('KingdomRenamed', { name }, { campaignId: C, entityId: 'k2' }) },
      { seq: stored + 2, event: event('KingdomCreated', { name }, { campaignId: C, entityId: id }) },
    ];
    const outcomes = await Promise.allSettled([
      a.apply(batch('Writer A', 'race-a'), { expectedCheckpoint: stored }),
      b.apply(batch('Writer B', 'race-b'), { expectedCheckpoint: stored }),
    ]);
    const won = outcomes.findIndex((o) => o.status === 'fulfilled');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes[1 - won] as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(CheckpointMovedError);
    expect(await a.checkpoint()).toBe(stored + 2);
    const winner = won === 0 ? 'A' : 'B';
    const rows = await db.readModel.kingdomsByKeys(
      ['k2', 'race-a', 'race-b'].map((id) => ({ campaignId: C, branchId: 'main', id })),
    );
    expect(rows.map((r) => r?.name ?? null)).toEqual([
      `Writer ${winner}`,
      winner === 'A' ? 'Writer A' : null,
      winner === 'B' ? 'Writer B' : null,
    ]);
  });
});
