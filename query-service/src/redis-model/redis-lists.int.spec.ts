import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Registry } from '@cm/platform';
import { testNamespace } from '@cm/testkit';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import type { Database } from '../read-model/database.js';
import { writeWorld } from '../read-model/list-fixtures.test-util.js';
import type { ListFilter, ListName, Page, PageQuery } from '../read-model/lists.js';
import { loadQueryConfig } from '../config.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { ReadModelMetrics, redisFirstReadModel } from './redis-first-read-model.js';
import { RedisReadModel } from './redis-read-model.js';
import { copyPostgresIntoRedis, deleteUnder } from './model-rows.test-util.js';

// The paginated lists from the Redis model against the same lists from Postgres, over real Redis and Postgres:
// the list fixtures plus names that differ only in case, accents, bytes and code points outside the BMP, copied
// into the Redis model by its own write script. Redis keys live under this file's own prefix (never a flush).
const ns = testNamespace();
const schema = `rlists_${ns}`;
const base = `${ns}:rm:`;
let db: Database;
let redis: ModelRedis;
let registry: Registry;
const C = 'c1';
const scope = { campaignId: C, branchId: 'main' };

/** Names chosen to catch a wrong fold or order: case, accents, the two non-ASCII letters `lower()` maps to ASCII. */
const TRICKY = [
  'town',
  'TOWN',
  'Town',
  'tOwN 5',
  'İstanbul',
  'istanbul',
  'Kelvin',
  'KELVIN',
  'école',
  'École',
  'ÉCOLE',
  'ecole',
  'straße',
  'STRASSE',
  'a\u0301ngel',
  'ángel',
  '\u{1F3F0} keep',
  '\uFFFD',
  '\uFFFF',
  '\u{10000}',
  'Z',
  'a',
  '_under',
  '%pct',
  'back\\slash',
  '',
  ' ',
  'Ktown',
];

beforeAll(async () => {
  db = await openTestDatabase(ns, schema);
  await writeWorld(db.sql, schema, {
    campaignId: C,
    kingdoms: 3,
    settlementsPerKingdom: 15,
    locations: 4,
    structuresPerSettlement: 3,
  });
  // Another campaign's rows must never show.
  await writeWorld(db.sql, schema, {
    campaignId: 'c2',
    kingdoms: 2,
    settlementsPerKingdom: 3,
    locations: 2,
    structuresPerSettlement: 1,
  });
  const t = (name: string) => `"${schema}"."${name}"`;
  // The tricky names on kingdoms, locations, settlements (of k0 / l0; twice each, so ids break ties) and structures.
  for (const [i, name] of TRICKY.entries()) {
    const p = [C, `xk${i}`, name];
    await db.sql.run(
      `INSERT INTO ${t('kingdom')} (campaign_id, branch_id, id, name, last_seq) VALUES (?, 'main', ?, ?, 1)`,
      p,
    );
    await db.sql.run(
      `INSERT INTO ${t('location')} (campaign_id, branch_id, id, name, geometry, last_seq) VALUES (?, 'main', ?, ?, ST_SetSRID(ST_MakePoint(1, 2), 4326), 1)`,
      [C, `xl${i}`, name],
    );
    for (const id of [`x${i}`, `x${i}\u{10000}`])
      await db.sql.run(
        `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) VALUES (?, 'main', ?, 'k0', 'l0', ?, ?, 1)`,
        [C, id, name, i % 10],
      );
    await db.sql.run(
      `INSERT INTO ${t('structure')} (campaign_id, branch_id, id, settlement_id, name, structure_type, level, condition, last_seq) VALUES (?, 'main', ?, 's3', ?, ?, ?, 100, 1)`,
      [C, `xs${i}`, name, i % 2 ? 'market' : 'Market', i % 5],
    );
    await db.sql.run(
      `INSERT INTO ${t('state_variable')} (campaign_id, branch_id, owner_type, owner_id, key, value_type, value, last_seq) VALUES (?, 'main', 'settlement', 's3', ?, 'number', '1', 1)`,
      [C, name === '' ? 'empty' : name],
    );
  }
  // Variables of another owner type with the same owner id, and a tombstoned one: neither is s3's settlement list.
  await db.sql.run(
    `INSERT INTO ${t('state_variable')} (campaign_id, branch_id, owner_type, owner_id, key, value_type, value, last_seq, deleted) VALUES ` +
      `(?, 'main', 'kingdom', 's3', 'other', 'number', '1', 1, false), (?, 'main', 'settlement', 's3', 'gone', 'number', '1', 1, true), ` +
      `(?, 'main', 'settlement', 'x1', 'population', 'number', '1', 1, true)`,
    [C, C, C],
  );
  // A tombstoned settlement is in no list.
  await db.sql.run(
    `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq, deleted) VALUES (?, 'main', 'dead', 'k0', 'l0', 'Town dead', 1, 1, true)`,
    [C],
  );
  const config = loadQueryConfig({ ...process.env, NODE_ENV: 'test', CM_NAMESPACE: ns });
  redis = connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB);
  expect(await redis.ready(10_000)).toBe(true);
  await copyPostgresIntoRedis(db, redis, base, ['kingdom', 'location', 'settlement', 'structure', 'state_variable']);
  registry = createMetrics('redis-lists-test');
});

afterAll(async () => {
  if (redis) {
    await deleteUnder(redis.redis, base);
    await redis.quit();
  }
  if (db) {
    await dropSchema(db.sql, schema);
    await db.close();
  }
});

/** Every servable list with each parent it has in the fixture. */
const PARENTS: [ListName, string[] | undefined][] = [
  ['kingdomsOfBranch', undefined],
  ['locationsOfBranch', undefined],
  ['settlementsOfBranch', undefined],
  ['settlementsOfKingdom', ['k0']],
  ['settlementsOfKingdom', ['k1']],
  ['settlementsOfKingdom', ['nobody']],
  ['settlementsOfLocation', ['l0']],
  ['settlementsOfLocation', ['l3']],
  ['structuresOfSettlement', ['s3']],
  ['structuresOfSettlement', ['x1']],
  ['variablesOfOwner', ['settlement', 's3']],
  ['variablesOfOwner', ['kingdom', 's3']],
  ['variablesOfOwner', ['structure', 's3-1']],
];

const ASCII_NAMES = [
  'town',
  'TOWN',
  'own 1',
  'i',
  'I',
  'k',
  'ELVIN',
  'ecole',
  'strasse',
  '',
  ' ',
  '%',
  '_',
  '\\',
  'zzz',
];
const FILTERS: Record<string, ListFilter[]> = {
  nameContains: ASCII_NAMES.map((nameContains) => ({ nameContains })),
  levelMin: [{ levelMin: 3 }, { levelMin: 0 }, { levelMin: 10 }],
  levelMax: [{ levelMax: 2 }, { levelMax: -1 }],
  type: [{ type: 'market' }, { type: 'Market' }, { type: 'keep' }],
  hasVariable: [{ hasVariable: 'population' }, { hasVariable: 'staff' }, { hasVariable: 'nope' }],
};
const COMBINED: ListFilter[] = [
  { nameContains: 'town', levelMin: 2, levelMax: 6 },
  { nameContains: 'k', hasVariable: 'population' },
  { levelMin: 1, type: 'market', nameContains: 'o' },
];
const PAGE_SIZES = [3, 10, 1000];

/** The filters a list takes, one at a time and combined where it takes them all. */
function filtersOf(list: ListName, takes: readonly string[]): (ListFilter | undefined)[] {
  const out: (ListFilter | undefined)[] = [undefined];
  for (const [name, values] of Object.entries(FILTERS)) if (takes.includes(name)) out.push(...values);
  for (const f of COMBINED) if (Object.keys(f).every((k) => takes.includes(k))) out.push(f);
  return list === 'variablesOfOwner' ? [undefined] : out;
}

const TAKES: Record<string, readonly string[]> = {
  kingdomsOfBranch: ['nameContains', 'hasVariable'],
  locationsOfBranch: ['nameContains', 'hasVariable'],
  settlementsOfBranch: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
  settlementsOfKingdom: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
  settlementsOfLocation: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
  structuresOfSettlement: ['nameContains', 'levelMin', 'levelMax', 'type', 'hasVariable'],
  variablesOfOwner: [],
};

interface Walk {
  list: ListName;
  query: PageQuery;
  pages: number;
}

describe('list pages from the Redis model', () => {
  it('rests on Postgres lower() mapping exactly İ and K (Kelvin) from non-ASCII to ASCII', async () => {
    const rows = await db.sql.all<{ cp: number }>(
      `SELECT cp FROM generate_series(128, 1114111) cp WHERE (cp < 55296 OR cp > 57343) AND lower(chr(cp)) ~ '^[\\x01-\\x7f]+$' ORDER BY cp`,
    );
    expect(rows.map((r) => Number(r.cp))).toEqual([0x130, 0x212a]);
  });

  it('answers every list × filter × page size × cursor walk exactly as Postgres: rows, cursors, counts, next page', async () => {
    const model = new RedisReadModel(redis, base, 1000);
    // Every walk advances one page per round, all of a list's walks in one batch per model (as a DataLoader does).
    const walks: Walk[] = [];
    for (const [list, parent] of PARENTS)
      for (const filter of filtersOf(list, TAKES[list]!))
        for (const first of PAGE_SIZES)
          walks.push({
            list,
            pages: 0,
            query: { ...scope, ...(parent ? { parent } : {}), ...(filter ? { filter } : {}), first },
          });
    let compared = 0;
    let active = walks;
    while (active.length > 0) {
      const next: Walk[] = [];
      for (const list of new Set(active.map((w) => w.list))) {
        const mine = active.filter((w) => w.list === list);
        const queries = mine.map((w) => w.query);
        const [fromRedis, fromPg, countsRedis, countsPg] = await Promise.all([
          model.listPages(list, queries, 0),
          db.readModel.listPages(list, queries),
          // Counts ignore the cursor: compared on first pages.
          model.listCounts(
            list,
            queries.filter((q) => !q.after),
            0,
          ),
          db.readModel.listCounts(
            list,
            queries.filter((q) => !q.after),
          ),
        ]);
        expect(fromRedis, `${list}: answered`).toBeDefined();
        expect(countsRedis, `${list}: counts`).toEqual(countsPg);
        mine.forEach((w, i) => {
          const what = `${list} ${JSON.stringify(w.query)} page ${w.pages}`;
          expect(fromRedis![i], what).not.toBeTypeOf('string');
          expect(fromRedis![i], what).toEqual(fromPg[i]);
          compared += 1;
          const page = fromPg[i] as Page<unknown>;
          if (page.hasNextPage)
            next.push({ ...w, pages: w.pages + 1, query: { ...w.query, after: page.edges.at(-1)!.key } });
        });
      }
      active = next;
    }
    expect(compared).toBeGreaterThan(walks.length * 2);
  }, 180_000);

  it('leaves non-ASCII name filters, over-long lists and lists it does not hold to Postgres, through the same port', async () => {
    const model = new RedisReadModel(redis, base, 20);
    const k0 = { ...scope, parent: ['k0'], first: 5 };
    const answers = await model.listPages(
      'settlementsOfKingdom',
      [
        { ...k0, filter: { nameContains: 'é' } },
        k0, // more than 20 members
        { ...scope, parent: ['k1'], first: 5 }, // 15 members
      ],
      0,
    );
    expect(answers?.slice(0, 2)).toEqual(['not-served', 'too-large']);
    expect(answers?.[2]).not.toBeTypeOf('string');
    expect(await model.listPages('worldEventsOfBranch', [{ ...scope, first: 5 }], 0)).toEqual(['not-served']);

    const metrics = ReadModelMetrics.of(registry);
    const port = redisFirstReadModel({
      postgres: db.readModel,
      redis: model,
      floor: () => 0,
      postgresAt: () => Promise.resolve(),
      metrics,
    });
    const queries: PageQuery[] = [
      { ...k0, filter: { nameContains: 'École' } },
      k0,
      { ...scope, parent: ['k1'], first: 5 },
      { ...scope, parent: ['k1'], first: 5, filter: { nameContains: 'TOWN' } },
    ];
    expect(await port.listPages('settlementsOfKingdom', queries)).toEqual(
      await db.readModel.listPages('settlementsOfKingdom', queries),
    );
    expect(await port.listCounts('settlementsOfKingdom', queries)).toEqual(
      await db.readModel.listCounts('settlementsOfKingdom', queries),
    );
    const reads = async (labels: Record<string, string>) =>
      (await metrics.reads.get()).values
        .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        .reduce((n, v) => n + v.value, 0);
    expect(await reads({ model: 'redis', method: 'listPages' })).toBe(1);
    expect(await reads({ model: 'postgres', method: 'listPages', reason: 'too-large' })).toBe(1);
  });

  it('falls back to Postgres mid-walk when the Redis model is flushed, and the walk has no gap or duplicate', async () => {
    const flushBase = `${ns}:flush:rm:`;
    await copyPostgresIntoRedis(db, redis, flushBase, ['settlement']);
    const metrics = ReadModelMetrics.of(createMetrics('redis-lists-flush'));
    const port = redisFirstReadModel({
      postgres: db.readModel,
      redis: new RedisReadModel(redis, flushBase, 1000),
      floor: () => 0,
      postgresAt: () => Promise.resolve(),
      metrics,
    });
    const query: PageQuery = { ...scope, parent: ['k0'], first: 4 };
    const seen: string[] = [];
    let after: string[] | undefined;
    for (let page = 0; ; page += 1) {
      // The flush: every key of this model's generation gone (its own prefix; never FLUSHDB on a shared Redis).
      if (page === 2) await deleteUnder(redis.redis, flushBase);
      const q = after ? { ...query, after } : query;
      const [got] = await port.listPages('settlementsOfKingdom', [q]);
      const [want] = await db.readModel.listPages('settlementsOfKingdom', [q]);
      expect(got).toEqual(want);
      seen.push(...got!.edges.map((e) => (e.row as { id: string }).id));
      if (!got!.hasNextPage) break;
      after = got!.edges.at(-1)!.key;
    }
    const [all] = await db.readModel.listPages('settlementsOfKingdom', [{ ...query, first: 1000 }]);
    expect(seen).toEqual(all!.edges.map((e) => (e.row as { id: string }).id));
    const byModel = (await metrics.reads.get()).values.filter((v) => v.labels.method === 'listPages');
    expect(byModel.find((v) => v.labels.model === 'redis')?.value).toBe(2);
    expect(byModel.find((v) => v.labels.reason === 'behind')?.value).toBeGreaterThan(0);
  });
});
