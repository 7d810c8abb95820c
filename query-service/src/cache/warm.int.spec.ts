import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { event } from '../projector/events.test-util.js';
import { dropSchema, openTestDatabase, testLogger } from '../projector/int-support.test-util.js';
import { ProjectionWriter } from '../projector/projection-writer.js';
import { openTestCache, type TestCache } from './cache.test-util.js';
import { warmCampaigns } from './warm.js';

// Warming against a read model in a schema of its own and the cache on DB 11 under this file's prefix.
const ns = testNamespace();
let db: Database;
let cache: TestCache;

beforeAll(async () => {
  db = await openTestDatabase(ns, `rm_${ns}_warm`);
  const at = (campaignId: string, entityId: string) => ({ campaignId, branchId: 'main', entityId });
  const events = [
    event('KingdomCreated', { name: 'k' }, at('w1', 'k1')),
    event('LocationCreated', { name: 'l', geometry: { type: 'Point', coordinates: [1, 2] } }, at('w1', 'l1')),
    event('SettlementCreated', { kingdomId: 'k1', locationId: 'l1', name: 's', level: 1 }, at('w1', 's1')),
    event(
      'StructureCreated',
      { settlementId: 's1', name: 'st', structureType: 'mill', level: 1, condition: 100 },
      at('w1', 'st1'),
    ),
    event('KingdomCreated', { name: 'k' }, at('w2', 'k9')),
  ];
  const noHistory = {
    campaignEvents: () => {
      throw new Error('no fork here');
    },
  };
  await new ProjectionWriter(db, noHistory).apply(events.map((e, i) => ({ seq: i + 1, event: e })));
  cache = await openTestCache(`${ns}:`);
});

afterAll(async () => {
  await cache?.close();
  if (db) {
    await dropSchema(db.sql, db.schema);
    await db.close();
  }
});

describe('cache warming', () => {
  it("loads the named campaigns' settlement and structure lists of main, and nothing of the others", async () => {
    await warmCampaigns(
      db.readModel,
      { cache: cache.cache, ttls: { settlements: 60, structures: 60, spatial: 60 }, appliedSeq: () => 5 },
      ['w1'],
      testLogger(),
    );
    expect(await cache.keys()).toEqual([
      'campaign:w1:settlements:kingdom:k1:main',
      'campaign:w1:structures:settlement:s1:main',
    ]);
    const entry = await cache.cache.get<{ seq: number; rows: { id: string }[] }>(
      'campaign:w1:structures:settlement:s1:main',
    );
    expect(entry?.seq).toBe(5);
    expect(entry?.rows.map((r) => r.id)).toEqual(['st1']);
  });
});
