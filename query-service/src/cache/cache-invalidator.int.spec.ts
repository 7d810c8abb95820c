import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildComputedFieldsKey,
  buildEntityListKey,
  buildSpatialQueryKey,
  campaignCacheKey,
  natsNames,
  type AnyEvent,
} from '@cm/contracts';
import { natsResources, provisionNatsResources, type Nats } from '@cm/platform';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { event, publishCommit } from '../projector/events.test-util.js';
import { dropSchema, openTestDatabase, testConfig, testLogger } from '../projector/int-support.test-util.js';
import { ProjectionWriter } from '../projector/projection-writer.js';
import { CacheInvalidator } from './cache-invalidator.js';
import { cachedSpatial } from './spatial-cache.js';
import { cachedComputedFields, computedFieldsKey, type ComputedEntry } from './computed-fields-cache.js';
import { openCacheRedis, RedisCache } from './redis-cache.js';
import { CacheStats } from './cache-stats.js';
import { createMetrics } from '@cm/platform';
import { openTestCache, type TestCache } from './cache.test-util.js';

// Real NATS, Postgres and Redis: the invalidator follows a test namespace's stream, looks parents up in a read
// model in a schema of its own, and deletes from DB 11 under this file's key prefix. Every case seeds the same
// 52 entries (two campaigns × two branches), writes one event to the stream and lists what is left.
const ns = testNamespace();
const names = natsNames(ns);
let nats: Nats;
let db: Database;
let cache: TestCache;
let invalidator: CacheInvalidator;

/** The entries of one campaign branch, unscoped. */
function entriesOf(campaignId: string, branch: string): string[] {
  return [
    buildComputedFieldsKey('settlement', 's1', branch),
    buildComputedFieldsKey('settlement', 's2', branch),
    buildComputedFieldsKey('structure', 'st1', branch),
    buildComputedFieldsKey('structure', 'st2', branch),
    buildComputedFieldsKey('kingdom', 'k1', branch),
    buildComputedFieldsKey('kingdom', 'k2', branch),
    buildComputedFieldsKey('campaign', campaignId, branch),
    buildEntityListKey('settlements', 'kingdom', 'k1', branch),
    buildEntityListKey('settlements', 'kingdom', 'k2', branch),
    buildEntityListKey('structures', 'settlement', 's1', branch),
    buildEntityListKey('structures', 'settlement', 's2', branch),
    buildSpatialQueryKey('settlements-within-radius', [1, 2.5, 500], branch),
    buildSpatialQueryKey('entities-within-bounds', [0, 0, 1.25, 1], branch),
  ].map((k) => campaignCacheKey(campaignId, k));
}
const ALL = ['c1', 'c2'].flatMap((c) => ['main', 'b1'].flatMap((b) => entriesOf(c, b))).sort();
const inC1Main = (...keys: string[]) => keys.map((k) => campaignCacheKey('c1', k));

beforeAll(async () => {
  nats = await connectTestNats('cache-invalidator-test');
  const config = testConfig(ns, `rm_${ns}_cache`);
  await provisionNatsResources(nats, natsResources(names, config));
  db = await openTestDatabase(ns, `rm_${ns}_cache`);
  // The read model the invalidator asks for parents: c1/main holds kingdoms k1, k2, settlements s1 (in k1) and
  // s2 (in k2), structures st1 (in s1) and st2 (in s2), and a field condition on structures.
  const at = (entityId: string) => ({ campaignId: 'c1', branchId: 'main', entityId });
  const seed: AnyEvent[] = [
    event('KingdomCreated', { name: 'k' }, at('k1')),
    event('KingdomCreated', { name: 'k' }, at('k2')),
    event('LocationCreated', { name: 'l', geometry: { type: 'Point', coordinates: [1, 2] } }, at('l1')),
    event('SettlementCreated', { kingdomId: 'k1', locationId: 'l1', name: 's', level: 1 }, at('s1')),
    event('SettlementCreated', { kingdomId: 'k2', locationId: 'l1', name: 's', level: 1 }, at('s2')),
    event(
      'StructureCreated',
      { settlementId: 's1', name: 'st', structureType: 'mill', level: 1, condition: 100 },
      at('st1'),
    ),
    event(
      'StructureCreated',
      { settlementId: 's2', name: 'st', structureType: 'mill', level: 1, condition: 100 },
      at('st2'),
    ),
    event(
      'FieldConditionDefined',
      { entityType: 'structure', entityId: null, field: 'f', expression: { var: 'level' }, priority: 0, active: true },
      at('fc1'),
    ),
  ];
  const noHistory = {
    campaignEvents: () => {
      throw new Error('no fork here');
    },
  };
  await new ProjectionWriter(db, noHistory).apply(seed.map((e, i) => ({ seq: i + 1, event: e })));
  cache = await openTestCache(`${ns}:`);
  // The second deletion at once, so that it never reaches the next case's entries.
  invalidator = new CacheInvalidator({
    nats,
    names,
    cache: cache.cache,
    readModel: db.readModel,
    logger: testLogger(),
    redeleteMs: 0,
  });
  await invalidator.start();
});

afterAll(async () => {
  await invalidator?.stop();
  await cache?.close();
  if (db) {
    await dropSchema(db.sql, db.schema);
    await db.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

beforeEach(async () => {
  await cache.redis.del(...(await cache.keys()).map((k) => `${ns}:${k}`)).catch(() => 0);
  for (const key of ALL) await cache.cache.set(key, { v: 1 }, 60);
  expect(await cache.keys()).toEqual(ALL);
});

/** Writes `e` to the stream and waits until the invalidator has handled it; the entries left (marks aside). */
async function afterEvent(e: AnyEvent): Promise<string[]> {
  const seq = await publishCommit(nats, names, [e]);
  for (let i = 0; i < 500 && invalidator.handledSeq < seq; i += 1) await new Promise((r) => setTimeout(r, 10));
  expect(invalidator.handledSeq).toBeGreaterThanOrEqual(seq);
  return (await cache.keys()).filter((k) => !k.includes(':computed-fields-mark:'));
}
const without = (removed: string[]) => ALL.filter((k) => !removed.includes(k));
const at = (entityId: string, branchId = 'main', campaignId = 'c1') => ({ campaignId, branchId, entityId });

describe('each invalidation trigger removes exactly its entries', () => {
  it('settlement change: its computed fields, its kingdom (computed fields and settlement list), its structures, spatial results of its branch', async () => {
    expect(await afterEvent(event('SettlementRenamed', { name: 'renamed' }, at('s1')))).toEqual(
      without(
        inC1Main(
          'computed-fields:settlement:s1:main',
          'computed-fields:kingdom:k1:main',
          'computed-fields:structure:st1:main',
          'settlements:kingdom:k1:main',
          'spatial:settlements-within-radius:1:2.500000:500:main',
          'spatial:entities-within-bounds:0:0:1.250000:1:main',
        ),
      ),
    );
  });

  it('settlement move: the same, for the kingdom the read model knows', async () => {
    expect(await afterEvent(event('SettlementMoved', { locationId: 'l1' }, at('s2')))).toEqual(
      without(
        inC1Main(
          'computed-fields:settlement:s2:main',
          'computed-fields:kingdom:k2:main',
          'computed-fields:structure:st2:main',
          'settlements:kingdom:k2:main',
          'spatial:settlements-within-radius:1:2.500000:500:main',
          'spatial:entities-within-bounds:0:0:1.250000:1:main',
        ),
      ),
    );
  });

  it('structure change: its computed fields, its settlement computed fields and structure list', async () => {
    expect(await afterEvent(event('StructureLevelSet', { level: 3 }, at('st1')))).toEqual(
      without(
        inC1Main(
          'computed-fields:structure:st1:main',
          'computed-fields:settlement:s1:main',
          'structures:settlement:s1:main',
        ),
      ),
    );
  });

  it('state-variable change: that entity computed fields and its parent', async () => {
    const e = event(
      'StateVariableSet',
      { ownerType: 'structure', ownerId: 'st2', key: 'gold', value: { type: 'number', value: 3 } },
      at('v1'),
    );
    expect(await afterEvent(e)).toEqual(
      without(inC1Main('computed-fields:structure:st2:main', 'computed-fields:settlement:s2:main')),
    );
  });

  it('state-variable change of a settlement: its kingdom aggregates it, its structures read it as parent', async () => {
    const e = event(
      'StateVariableSet',
      { ownerType: 'settlement', ownerId: 's1', key: 'gold', value: { type: 'number', value: 3 } },
      at('v2'),
    );
    expect(await afterEvent(e)).toEqual(
      without(
        inC1Main(
          'computed-fields:settlement:s1:main',
          'computed-fields:kingdom:k1:main',
          'computed-fields:structure:st1:main',
        ),
      ),
    );
  });

  it('kingdom change: its computed fields, the campaign aggregate and its settlements (which read it as parent)', async () => {
    expect(await afterEvent(event('KingdomRenamed', { name: 'renamed' }, at('k2')))).toEqual(
      without(
        inC1Main(
          'computed-fields:kingdom:k2:main',
          'computed-fields:campaign:c1:main',
          'computed-fields:settlement:s2:main',
        ),
      ),
    );
  });

  it('raises the branch mark of computed fields to the event sequence, never lowers it', async () => {
    const markKey = campaignCacheKey('c1', 'computed-fields-mark:main');
    const seq = await publishCommit(nats, names, [event('StructureLevelSet', { level: 4 }, at('st1'))]);
    await afterEvent(event('LocationReshaped', { geometry: { type: 'Point', coordinates: [3, 4] } }, at('l1')));
    expect(Number(await cache.redis.get(`${ns}:${markKey}`))).toBe(seq);
    await invalidator.handle([event('StructureLevelSet', { level: 5 }, at('st1'))], 1);
    expect(Number(await cache.redis.get(`${ns}:${markKey}`))).toBe(seq);
  });

  it('location change: spatial results of its branch', async () => {
    const e = event('LocationReshaped', { geometry: { type: 'Point', coordinates: [3, 4] } }, at('l1'));
    expect(await afterEvent(e)).toEqual(
      without(
        inC1Main(
          'spatial:settlements-within-radius:1:2.500000:500:main',
          'spatial:entities-within-bounds:0:0:1.250000:1:main',
        ),
      ),
    );
  });

  it('field-condition change: every computed field of that entity type in the campaign branch', async () => {
    const e = event(
      'FieldConditionUpdated',
      { field: 'f', expression: { var: 'condition' }, priority: 1, active: true },
      at('fc1'),
    );
    expect(await afterEvent(e)).toEqual(
      without(inC1Main('computed-fields:structure:st1:main', 'computed-fields:structure:st2:main')),
    );
  });

  it('branch deletion: everything of that branch, in its campaign only', async () => {
    expect(await afterEvent(event('BranchDeleted', {}, at('b1')))).toEqual(without(entriesOf('c1', 'b1')));
  });

  it('keeps an entry that already reflects the event (read after it was applied); an older one goes', async () => {
    const [list, spatial, computed] = inC1Main(
      'settlements:kingdom:k1:main',
      'spatial:settlements-within-radius:1:2.500000:500:main',
      'computed-fields:settlement:s1:main',
    );
    await cache.cache.set(list!, { seq: 1e12, rows: [] }, 60); // a key the event names
    await cache.cache.set(spatial!, { seq: 1e12, value: [] }, 60); // a key a pattern of the event finds
    await cache.cache.set(computed!, { seq: 1, fields: [] }, 60); // read before the event
    const left = await afterEvent(event('SettlementRenamed', { name: 'renamed again' }, at('s1')));
    expect(left).toContain(list);
    expect(left).toContain(spatial);
    expect(left).not.toContain(computed);
    expect(left).not.toContain(campaignCacheKey('c1', 'computed-fields:kingdom:k1:main'));
  });

  it('the other campaign and the other branch are each reached only by their own events', async () => {
    expect(await afterEvent(event('StructureDeleted', { settlementId: 's2' }, at('st2', 'b1', 'c2')))).toEqual(
      without(
        ['computed-fields:structure:st2:b1', 'computed-fields:settlement:s2:b1', 'structures:settlement:s2:b1'].map(
          (k) => campaignCacheKey('c2', k),
        ),
      ),
    );
  });
});

describe('a cached spatial answer', () => {
  it('is served from its normalised key until a move in its branch invalidates it', async () => {
    let loads = 0;
    const opts = { cache: cache.cache, ttlSeconds: 60, appliedSeq: () => 7 };
    const query = (lat: number) => ({
      campaignId: 'c1',
      branchId: 'main',
      queryType: 'settlements-within-radius',
      params: [1, lat, 500],
    });
    const load = async () => ((loads += 1), ['s1']);
    expect(await cachedSpatial(opts, query(2.5), 0, load)).toEqual(['s1']);
    // 2.5000000001 is the same query at 6 decimals; a read that must see sequence 8 does not take the entry of 7.
    expect(await cachedSpatial(opts, query(2.5000000001), 7, load)).toEqual(['s1']);
    expect(loads).toBe(1);
    await cachedSpatial(opts, query(2.5), 8, load);
    expect(loads).toBe(2);
    const left = await afterEvent(event('SettlementMoved', { locationId: 'l1' }, at('s1')));
    expect(left.filter((k) => k.startsWith('campaign:c1:spatial:') && k.endsWith(':main'))).toEqual([]);
    await cachedSpatial(opts, query(2.5), 0, load);
    expect(loads).toBe(3);
  });
});

describe('computed fields through the cache', () => {
  const s1 = { campaignId: 'c1', branchId: 'main', entityType: 'settlement' as const, entityId: 's1' };
  const st1 = { campaignId: 'c1', branchId: 'main', entityType: 'structure' as const, entityId: 'st1' };
  const opts = () => ({ cache: cache.cache, ttlSeconds: 60 });
  const answer = (seq: number, value: unknown): ComputedEntry => ({ seq, fields: [{ field: 'wealth', value }] });
  /** Writes `e` to the stream and waits until the invalidator has handled it; its sequence. */
  async function invalidated(e: AnyEvent): Promise<number> {
    const seq = await publishCommit(nats, names, [e]);
    for (let i = 0; i < 500 && invalidator.handledSeq < seq; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(invalidator.handledSeq).toBeGreaterThanOrEqual(seq);
    return seq;
  }

  it('one MGET serves the hits, the misses are loaded once and written back; an entry below the required sequence is a miss', async () => {
    await cache.redis.del(`${ns}:${computedFieldsKey(s1)}`, `${ns}:${computedFieldsKey(st1)}`);
    const head = await invalidated(
      event('LocationReshaped', { geometry: { type: 'Point', coordinates: [5, 6] } }, at('l1')),
    );
    const asked: string[][] = [];
    const load = async (missing: readonly { entityId: string }[]) => {
      asked.push(missing.map((m) => m.entityId));
      return missing.map((m) => answer(head, m.entityId));
    };
    const statsBefore = cache.stats.snapshot().families.find((f) => f.family === 'computed-fields');
    expect(await cachedComputedFields(opts(), [s1, st1], 0, load)).toEqual([
      [{ field: 'wealth', value: 's1' }],
      [{ field: 'wealth', value: 'st1' }],
    ]);
    expect(await cachedComputedFields(opts(), [s1, st1], head, load)).toEqual([
      [{ field: 'wealth', value: 's1' }],
      [{ field: 'wealth', value: 'st1' }],
    ]);
    expect(asked).toEqual([['s1', 'st1']]);
    // A reader that must see head + 1 (its minSeq) does not take entries of head.
    await cachedComputedFields(opts(), [s1, st1], head + 1, load);
    expect(asked).toEqual([
      ['s1', 'st1'],
      ['s1', 'st1'],
    ]);
    const statsAfter = cache.stats.snapshot().families.find((f) => f.family === 'computed-fields')!;
    expect(statsAfter.hits - (statsBefore?.hits ?? 0)).toBe(4);
    expect(statsAfter.misses - (statsBefore?.misses ?? 0)).toBe(2);
    expect(statsAfter.sets - (statsBefore?.sets ?? 0)).toBe(4);
  });

  it('a value evaluated before an invalidation is not written back after it (the set-after-invalidation race)', async () => {
    const key = computedFieldsKey(s1);
    let loads = 0;
    // The reader asks the rules service, which answers as of the stream before the event; the event arrives and
    // the invalidator deletes the entry while the answer is on its way; then the reader writes it back.
    const racing = async () => {
      loads += 1;
      const before = await invalidated(
        event('LocationReshaped', { geometry: { type: 'Point', coordinates: [7, 8] } }, at('l1')),
      );
      await invalidated(
        event(
          'StructureCreated',
          { settlementId: 's1', name: 'n', structureType: 'mill', level: 1, condition: 100 },
          at('st9'),
        ),
      );
      return [answer(before, 'stale')];
    };
    expect(await cachedComputedFields(opts(), [s1], 0, racing)).toEqual([[{ field: 'wealth', value: 'stale' }]]);
    expect(await cache.keys()).not.toContain(key);
    // The next read is fresh: the rules service answers as of the event, and that answer is kept.
    const head = invalidator.handledSeq;
    const fresh = async () => ((loads += 1), [answer(head, 'fresh')]);
    expect(await cachedComputedFields(opts(), [s1], 0, fresh)).toEqual([[{ field: 'wealth', value: 'fresh' }]]);
    expect(await cachedComputedFields(opts(), [s1], 0, fresh)).toEqual([[{ field: 'wealth', value: 'fresh' }]]);
    expect(loads).toBe(2);
    // An invalidating event removes it; the next read loads again.
    await invalidated(event('StructureLevelSet', { level: 2 }, at('st1')));
    expect(await cache.keys()).not.toContain(key);
    await cachedComputedFields(opts(), [s1], 0, fresh);
    expect(loads).toBe(3);
  });

  it('with Redis unreachable every read goes to the loader and none fails', async () => {
    // Nothing listens on port 1: every command fails at once, as with Redis stopped.
    const redis = openCacheRedis('redis://127.0.0.1:1', 11);
    redis.on('error', () => undefined);
    const down = new RedisCache({
      redis,
      stats: new CacheStats(createMetrics('cache-down-test'), true),
      logger: testLogger(),
    });
    let loads = 0;
    const load = async () => ((loads += 1), [answer(1, 'v')]);
    for (let i = 0; i < 2; i += 1)
      expect(await cachedComputedFields({ cache: down, ttlSeconds: 60 }, [s1], 0, load)).toEqual([
        [{ field: 'wealth', value: 'v' }],
      ]);
    expect(loads).toBe(2);
    redis.disconnect();
  });

  it('a write without a TTL of its own takes the default TTL (CACHE_DEFAULT_TTL)', async () => {
    const withDefault = new RedisCache({
      redis: cache.redis,
      stats: cache.stats,
      logger: testLogger(),
      prefix: `${ns}:`,
      defaultTtlSeconds: 77,
    });
    await withDefault.set('campaign:c1:other-family:x:main', { v: 1 });
    const ttl = await cache.redis.ttl(`${ns}:campaign:c1:other-family:x:main`);
    expect(ttl).toBeGreaterThan(70);
    expect(ttl).toBeLessThanOrEqual(77);
  });
});
