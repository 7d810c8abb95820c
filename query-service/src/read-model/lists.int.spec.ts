import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '@cm/testkit';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import type { Database } from './database.js';
import { writeWorld } from './list-fixtures.test-util.js';
import { LISTS, type ListFilter, type ListName, type PageQuery } from './lists.js';
import { PostgresReadModel } from './postgres-read-model.js';
import type { Sql } from './sql.js';

// The paginated lists against a real Postgres at realistic sizes: 10,000 settlements in one branch.
const ns = testNamespace();
const schema = `lists_${ns}`;
let db: Database;
let rm: PostgresReadModel;
/** Every statement the read model sent, in order. */
const statements: { sql: string; params: readonly unknown[] }[] = [];

const SETTLEMENTS = 10_000;
const main = { campaignId: 'c1', branchId: 'main' };
const t = (name: string) => `"${schema}"."${name}"`;

beforeAll(async () => {
  db = await openTestDatabase(ns, schema);
  const capturing: Sql = {
    all: (sql, params = []) => (statements.push({ sql, params }), db.sql.all(sql, params)),
    run: (sql, params = []) => (statements.push({ sql, params }), db.sql.run(sql, params)),
  };
  rm = new PostgresReadModel(capturing, schema);
  await writeWorld(db.sql, schema, {
    campaignId: 'c1',
    kingdoms: 10,
    settlementsPerKingdom: SETTLEMENTS / 10,
    locations: 500,
    structuresPerSettlement: 2,
  });
  await writeWorld(db.sql, schema, {
    campaignId: 'c2',
    kingdoms: 2,
    settlementsPerKingdom: 5,
    locations: 3,
    structuresPerSettlement: 1,
  });
  // Other campaigns' rows, so that every table is of a size where a scan of it would show in a plan.
  await writeWorld(db.sql, schema, {
    campaignId: 'filler',
    kingdoms: 5000,
    settlementsPerKingdom: 1,
    locations: 5000,
    structuresPerSettlement: 1,
  });
  await db.sql.run(
    `INSERT INTO ${t('field_condition')} (campaign_id, branch_id, id, entity_type, entity_id, field, expression, priority, active, last_seq) ` +
      `SELECT CASE WHEN g % 2 = 0 THEN 'c1' ELSE 'filler' END, 'main', 'fc' || g, 'settlement', 's' || (g % 50), 'f', '{}', g % 7, true, 1 FROM generate_series(1, 4000) g`,
  );
  await db.sql.run(
    `INSERT INTO ${t('world_event')} (campaign_id, branch_id, id, name, status, scheduled_at, effects, last_seq) ` +
      `SELECT CASE WHEN g % 2 = 0 THEN 'c1' ELSE 'filler' END, 'main', 'we' || g, 'Event ' || g, CASE WHEN g % 3 = 0 THEN 'active' ELSE 'scheduled' END, ` +
      `timestamptz '2026-01-01' + (g % 100) * interval '1 hour', '[]', 1 FROM generate_series(1, 4000) g`,
  );
  // Spread the filler over 500 campaigns: a real read model holds many campaigns, none of them a large share of a table.
  for (const [table, column] of Object.entries({
    kingdom: 'id',
    location: 'id',
    settlement: 'id',
    structure: 'id',
    state_variable: 'owner_id',
    field_condition: 'id',
    world_event: 'id',
  })) {
    await db.sql.run(
      `UPDATE ${t(table)} SET campaign_id = 'f' || (abs(hashtext(${column})) % 500) WHERE campaign_id = 'filler'`,
    );
    await db.sql.run(`ANALYZE ${t(table)}`);
  }
}, 120_000);

afterAll(async () => {
  await dropSchema(db.sql, schema);
  await db.close();
});

/** Settlement n of c1 as writeWorld made it. */
const settlement = (n: number) => ({
  id: `s${n}`,
  name: `Town ${n % 997}`,
  level: n % 10,
  kingdomId: `k${n % 10}`,
  population: n % 3 === 0,
});
const allSettlements = Array.from({ length: SETTLEMENTS }, (_, i) => settlement(i + 1));

/** Every row of a list (page by page) with its count. */
async function everything(
  list: ListName,
  query: Omit<PageQuery, 'first'>,
  first = 1000,
): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let after: string[] | undefined;
  for (;;) {
    const [page] = await rm.listPages(list, [{ ...query, first, ...(after ? { after } : {}) }]);
    ids.push(...page!.edges.map((e) => (e.row as { id: string }).id));
    if (!page!.hasNextPage) break;
    after = page!.edges.at(-1)!.key;
  }
  const [total] = await rm.listCounts(list, [query]);
  return { ids, total: total! };
}

describe('filters', () => {
  it.each<[string, ListFilter, (s: ReturnType<typeof settlement>) => boolean]>([
    ['name contains, ignoring case', { nameContains: 'wN 99' }, (s) => s.name.toLowerCase().includes('wn 99')],
    ['a level range', { levelMin: 3, levelMax: 5 }, (s) => s.level >= 3 && s.level <= 5],
    ['has a variable', { hasVariable: 'population' }, (s) => s.population],
    [
      'all of them at once',
      { nameContains: 'TOWN 1', levelMin: 7, hasVariable: 'population' },
      (s) => s.name.includes('Town 1') && s.level >= 7 && s.population,
    ],
    ['a variable nobody has', { hasVariable: 'nope' }, () => false],
  ])('settlements by %s: exactly the expected ones, and totalCount says how many', async (_name, filter, keep) => {
    const expected = allSettlements.filter(keep).map((s) => s.id);
    const { ids, total } = await everything('settlementsOfBranch', { ...main, filter });
    expect(ids.slice().sort()).toEqual(expected.slice().sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(total).toBe(expected.length);
  });

  it('per kingdom, with a filter: only that kingdom', async () => {
    const expected = allSettlements
      .filter((s) => s.kingdomId === 'k3' && s.level === 3 && s.population)
      .map((s) => s.id);
    const { ids, total } = await everything(
      'settlementsOfKingdom',
      { ...main, parent: ['k3'], filter: { levelMin: 3, levelMax: 3, hasVariable: 'population' } },
      7,
    );
    expect(ids.sort()).toEqual(expected.sort());
    expect(total).toBe(expected.length);
  });

  it('structures by type and level; kingdoms by name', async () => {
    const { ids } = await everything('structuresOfSettlement', {
      ...main,
      parent: ['s42'],
      filter: { type: 'market', levelMin: 2 },
    });
    expect(ids).toEqual(['s42-2']);
    expect((await everything('kingdomsOfBranch', { ...main, filter: { nameContains: 'dom 7' } })).ids).toEqual(['k7']);
  });

  it('takes % and _ in nameContains literally', async () => {
    const c3 = { campaignId: 'c3', branchId: 'main' };
    for (const [id, name] of [
      ['a', '50% off_sale'],
      ['b', '50 percent offXsale'],
      ['c', '50% offXsale'],
    ]) {
      await db.sql.run(
        `INSERT INTO ${t('kingdom')} (campaign_id, branch_id, id, name, last_seq) VALUES ('c3', 'main', ?, ?, 1)`,
        [id, name],
      );
    }
    expect((await everything('kingdomsOfBranch', { ...c3, filter: { nameContains: '% OFF_' } })).ids).toEqual(['a']);
    expect((await everything('kingdomsOfBranch', { ...c3, filter: { nameContains: '% off' } })).ids.sort()).toEqual([
      'a',
      'c',
    ]);
  });
});

describe('pages of many parents in one statement', () => {
  it('gives each parent its own page size and cursor', async () => {
    statements.length = 0;
    const parents = ['s1', 's2', 's3'].map((s) => ({ ...main, parent: [s] }));
    const firsts = await rm.listPages(
      'structuresOfSettlement',
      parents.map((p) => ({ ...p, first: 1 })),
    );
    expect(firsts.map((p) => [p.edges.map((e) => e.row.id), p.hasNextPage])).toEqual([
      [['s1-1'], true],
      [['s2-1'], true],
      [['s3-1'], true],
    ]);
    const mixed = await rm.listPages('structuresOfSettlement', [
      { ...parents[0]!, first: 1, after: firsts[0]!.edges[0]!.key },
      { ...parents[1]!, first: 5 },
      { ...parents[2]!, first: 1, after: firsts[2]!.edges[0]!.key, filter: { type: 'keep' } },
    ]);
    expect(mixed.map((p) => [p.edges.map((e) => e.row.id), p.hasNextPage])).toEqual([
      [['s1-2'], false],
      [['s2-1', 's2-2'], false],
      [[], false],
    ]);
    expect(statements).toHaveLength(2);
  });
});

/** Every plan node of an EXPLAIN (FORMAT JSON) answer. */
function planNodes(plan: Record<string, unknown>): Record<string, unknown>[] {
  return [plan, ...((plan.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(planNodes)];
}

/** Each list with a parent that exists and every filter it takes set. */
const parents: Record<ListName, string[] | undefined> = {
  kingdomsOfBranch: undefined,
  locationsOfBranch: undefined,
  settlementsOfBranch: undefined,
  settlementsOfKingdom: ['k1'],
  settlementsOfLocation: ['l1'],
  structuresOfSettlement: ['s1'],
  variablesOfOwner: ['settlement', 's3'],
  fieldConditionsOfBranch: undefined,
  worldEventsOfBranch: undefined,
};
const allFilters: Required<ListFilter> = {
  nameContains: 'o',
  levelMin: 1,
  levelMax: 8,
  type: 'keep',
  hasVariable: 'population',
  entityType: 'settlement',
  entityId: 's1',
  status: 'active',
};

describe('an index behind every list query', () => {
  it.each(Object.keys(LISTS) as ListName[])(
    '%s: no sequential scan, with or without its filters, pages and counts',
    async (list) => {
      const filter = Object.fromEntries(LISTS[list].filters.map((f) => [f, allFilters[f]])) as ListFilter;
      const parent = parents[list];
      const base = { ...main, ...(parent ? { parent } : {}) };
      statements.length = 0;
      const [firstPage] = await rm.listPages(list, [{ ...base, first: 20 }]);
      await rm.listPages(list, [{ ...base, first: 20, after: firstPage!.edges.at(-1)!.key }]);
      await rm.listPages(list, [{ ...base, first: 20, filter }]);
      await rm.listCounts(list, [base]);
      await rm.listCounts(list, [{ ...base, filter }]);
      expect(statements).toHaveLength(5);
      for (const { sql, params } of statements.splice(0)) {
        const [row] = await db.sql.all<{ 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          params,
        );
        const nodes = planNodes(row!['QUERY PLAN'][0].Plan);
        const scans = nodes.filter((n) => n['Relation Name']).map((n) => `${n['Node Type']} on ${n['Relation Name']}`);
        expect(scans.length, sql).toBeGreaterThan(0);
        expect(
          scans.filter((s) => s.startsWith('Seq Scan')),
          `${sql}\n${scans.join('\n')}`,
        ).toEqual([]);
      }
    },
  );
});

describe('a walk of 10,000 settlements while writes happen', () => {
  it('sees every settlement that existed for the whole walk exactly once; a new one only if it sorts after the page being read', async () => {
    const deleted = new Set(['s17', 's5000', 's9999']);
    const seen: string[] = [];
    const insertedAfter: string[] = [];
    const insertedBefore: string[] = [];
    let after: string[] | undefined;
    for (let round = 0; ; round++) {
      const [page] = await rm.listPages('settlementsOfBranch', [{ ...main, first: 700, ...(after ? { after } : {}) }]);
      seen.push(...page!.edges.map((e) => e.row.id));
      if (!page!.hasNextPage) break;
      after = page!.edges.at(-1)!.key;
      // Between pages: new settlements at the far end and at the very start of the order, renumbered levels of
      // existing ones (the sort key stays), and deletions.
      const id = (where: string, i: number) => `new-${where}-${round}-${i}`;
      for (let i = 0; i < 5; i++) {
        insertedAfter.push(id('end', i));
        insertedBefore.push(id('start', i));
      }
      await db.sql.run(
        `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) ` +
          `SELECT 'c1', 'main', x.id, 'k1', 'l1', x.name, 1, 2 FROM unnest(?::text[], ?::text[]) AS x(id, name)`,
        [
          `{${[...insertedAfter.slice(-5), ...insertedBefore.slice(-5)].join(',')}}`,
          `{${[...Array(5).fill('zzz'), ...Array(5).fill('AAA')].join(',')}}`,
        ],
      );
      await db.sql.run(
        `UPDATE ${t('settlement')} SET level = level + 1 WHERE campaign_id = 'c1' AND id IN ('s${round + 1}', 's${9000 - round}')`,
      );
      if (round === 3)
        await db.sql.run(
          `UPDATE ${t('settlement')} SET deleted = true WHERE campaign_id = 'c1' AND id = ANY(?::text[])`,
          [`{${[...deleted].join(',')}}`],
        );
    }
    const counts = new Map<string, number>();
    for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    const missing = allSettlements.map((s) => s.id).filter((id) => !deleted.has(id) && !counts.has(id));
    expect(missing).toEqual([]);
    // Sorting after every page read so far, the late ones are all found; sorting before, none is.
    expect(insertedAfter.filter((id) => !counts.has(id))).toEqual([]);
    expect(insertedBefore.filter((id) => counts.has(id))).toEqual([]);
    expect(insertedAfter.length).toBeGreaterThan(50);
  });
});
