import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, signToken } from '@cm/platform';
import { testNamespace } from '@cm/testkit';
import { loadQueryConfig } from '../config.js';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import type { Database } from '../read-model/database.js';
import { writeWorld } from '../read-model/list-fixtures.test-util.js';
import { PostgresReadModel } from '../read-model/postgres-read-model.js';
import type { Sql } from '../read-model/sql.js';
import { ApiMetrics } from './api.metrics.js';
import type { CheckpointTracker } from './checkpoint-tracker.js';
import type { CommandGateway } from './command-gateway.js';
import { createYogaServer, type YogaServer } from './yoga-server.js';

// The GraphQL lists through yoga with the production limits, the real resolvers, loaders and Postgres read model,
// in-process: what a nested query costs in statements, and connections, filters and spatial queries as a client
// sees them. These are reads of rows written straight into the read model: no command is sent, and every row is
// there before a query asks (the tracker reports everything applied).
const ns = testNamespace();
const schemaName = `lists_api_${ns}`;
const SECRET = 'lists-api-test-secret-0123456789';
let yoga: YogaServer;
let token: string;
let db: Database;
let rm: PostgresReadModel;
let statements = 0;
const t = (name: string) => `"${schemaName}"."${name}"`;

async function campaign(id: string): Promise<void> {
  await db.sql.run(`INSERT INTO ${t('campaign')} (id, name, owner_id, last_seq) VALUES (?, ?, 'alice', 1)`, [id, id]);
  await db.sql.run(
    `INSERT INTO ${t('campaign_member')} (campaign_id, user_id, role, last_seq) VALUES (?, 'alice', 'owner', 1)`,
    [id],
  );
}

beforeAll(async () => {
  db = await openTestDatabase(ns, schemaName);
  const counting: Sql = {
    all: (sql, params) => ((statements += 1), db.sql.all(sql, params)),
    run: (sql, params) => ((statements += 1), db.sql.run(sql, params)),
  };
  rm = new PostgresReadModel(counting, schemaName);
  const defaults = loadQueryConfig({ NODE_ENV: 'test', CM_NAMESPACE: ns, DATABASE_SCHEMA: schemaName });
  yoga = createYogaServer({
    services: {
      readModel: rm,
      commands: {} as CommandGateway,
      tracker: { appliedSeq: Number.MAX_SAFE_INTEGER } as CheckpointTracker,
      jwtSecret: SECRET,
      minSeqTimeoutMs: 100,
      newId: () => 'id-1',
    },
    metrics: new ApiMetrics(createMetrics('lists-api-test')),
    logger: createLogger('lists-api-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    // The cost limit multiplies by each literal `first` and by 1.5 per level: a whole 10,000-settlement tree is
    // far over the default 20,000 (as it should be); what this spec counts is statements, so it lifts that one.
    limits: {
      maxDepth: defaults.GRAPHQL_MAX_DEPTH,
      maxAliases: defaults.GRAPHQL_MAX_ALIASES,
      maxTokens: defaults.GRAPHQL_MAX_TOKENS,
      maxCost: 1e12,
    },
    graphiql: false,
  });
  token = await signToken(SECRET, 'alice');
  // 1,000 settlements, and ten times as many: 10 and 100 kingdoms of 100 settlements, 2 structures each.
  await campaign('small');
  await writeWorld(db.sql, schemaName, {
    campaignId: 'small',
    kingdoms: 10,
    settlementsPerKingdom: 100,
    locations: 50,
    structuresPerSettlement: 2,
  });
  await campaign('large');
  await writeWorld(db.sql, schemaName, {
    campaignId: 'large',
    kingdoms: 100,
    settlementsPerKingdom: 100,
    locations: 500,
    structuresPerSettlement: 2,
  });
  await campaign('maps');
  for (const [id, geometry] of Object.entries({
    east: { type: 'Point', coordinates: [179.9, -17.7] },
    west: { type: 'Point', coordinates: [-179.9, -17.7] },
    square: {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
          [0, 0],
        ],
      ],
    },
    inside: { type: 'Point', coordinates: [0.5, 0.5] },
  })) {
    await db.sql.run(
      `INSERT INTO ${t('location')} (campaign_id, branch_id, id, name, geometry, last_seq) VALUES ('maps', 'main', ?, ?, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326), 1)`,
      [id, id, JSON.stringify(geometry)],
    );
    await db.sql.run(
      `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) VALUES ('maps', 'main', ?, 'k', ?, ?, 1, 1)`,
      [`s-${id}`, id, `s-${id}`],
    );
  }
}, 120_000);

afterAll(async () => {
  await dropSchema(db.sql, schemaName);
  await db.close();
});

/** Runs a query as alice over HTTP semantics (yoga's fetch), counting the read model's statements. */
async function run(query: string, variables: Record<string, unknown> = {}) {
  statements = 0;
  const res = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
  return { result, statements };
}

const NESTED = `query($c: ID!) { campaign(id: $c) { kingdoms(first: 1000) { nodes { id settlements(first: 1000) { nodes { id structures { nodes { id variables { nodes { key value } } } } } } } } } }`;

describe('a nested query campaign → kingdoms → settlements → structures → variables', () => {
  it('costs the same statements, one per level (and the membership check), for 1,000 and for 10,000 settlements', async () => {
    const counts: number[] = [];
    for (const [c, settlements] of [
      ['small', 1000],
      ['large', 10_000],
    ] as const) {
      const { result, statements: n } = await run(NESTED, { c });
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const kingdoms = result.data.campaign.kingdoms.nodes;
      const towns = kingdoms.flatMap((k: any) => k.settlements.nodes);
      expect(towns).toHaveLength(settlements);
      expect(
        towns.every(
          (s: any) =>
            s.structures.nodes.length === 2 && s.structures.nodes.every((st: any) => st.variables.nodes.length === 1),
        ),
      ).toBe(true);
      counts.push(n);
    }
    // Membership, campaign, then a page per level: kingdoms, settlements, structures, variables. Depth 5, so ≤ 6.
    expect(counts).toEqual([6, 6]);
  });

  it('keeps one statement per level with per-parent pages, filters and counts: every kingdom its own page of 3', async () => {
    const { result, statements: n } = await run(
      `query($c: ID!) { campaign(id: $c) { kingdoms(first: 1000) { totalCount nodes { id
        populated: settlements(first: 3, filter: { hasVariable: "population" }) { totalCount pageInfo { hasNextPage } nodes { id } }
        high: settlements(first: 2, filter: { nameContains: "town 1" }) { nodes { name } } } } } }`,
      { c: 'large' },
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    const kingdoms = result.data.campaign.kingdoms;
    expect(kingdoms.totalCount).toBe(100);
    for (const k of kingdoms.nodes) {
      // Kingdom k<r> holds settlements r, r + 100, ... (up to 10,000); every third has a population.
      const r = Number(k.id.slice(1));
      const populated = Array.from({ length: 100 }, (_, j) => r + 100 * j + (r === 0 ? 100 : 0)).filter(
        (g) => g % 3 === 0,
      );
      expect(k.populated.totalCount).toBe(populated.length);
      expect(k.populated.nodes).toHaveLength(3);
      expect(k.populated.pageInfo.hasNextPage).toBe(true);
      expect(k.high.nodes.every((s: any) => s.name.startsWith('Town 1'))).toBe(true);
    }
    // Membership, campaign, the kingdoms' page and count; the two settlement lists (their filters differ) as one
    // page statement and one count statement.
    expect(n).toBe(6);
  });
});

describe('connections', () => {
  it('walks a filtered list by endCursor, each page in order, without repeats, to the count', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let total = 0;
    for (;;) {
      const { result } = await run(
        `query($c: ID!, $after: String) { settlements(campaignId: $c, first: 40, after: $after, filter: { nameContains: "TOWN 9", hasVariable: "population" }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id name } } } }`,
        { c: 'small', after },
      );
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const conn = result.data.settlements;
      total = conn.totalCount;
      seen.push(...conn.edges.map((e: any) => e.node.id));
      expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)?.cursor ?? null);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1).filter(
      (n) => `Town ${n % 997}`.startsWith('Town 9') && n % 3 === 0,
    );
    expect(seen.slice().sort()).toEqual(expected.map((n) => `s${n}`).sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(total).toBe(expected.length);
  });

  it('refuses a cursor of another list, a made-up one and a page size out of range with VALIDATION', async () => {
    const { result } = await run(`query($c: ID!) { kingdoms(campaignId: $c, first: 1) { pageInfo { endCursor } } }`, {
      c: 'small',
    });
    const kingdomCursor = result.data.kingdoms.pageInfo.endCursor;
    for (const [first, after] of [
      [10, kingdomCursor],
      [10, 'bm9wZQ'],
      [0, null],
      [1001, null],
    ]) {
      const { result: r } = await run(
        `query($c: ID!, $f: Int, $a: String) { settlements(campaignId: $c, first: $f, after: $a) { nodes { id } } }`,
        { c: 'small', f: first, a: after },
      );
      expect(
        r.errors?.map((e) => e.extensions?.code),
        JSON.stringify(r.errors),
      ).toEqual(['VALIDATION']);
    }
  });
});

describe('spatial queries', () => {
  it('radius, box across the antimeridian, region and nearest', async () => {
    const { result } = await run(
      `query($c: ID!) {
        radius: settlementsWithinRadius(campaignId: $c, longitude: 179.95, latitude: -17.7, meters: 25000) { id }
        box: settlementsInBox(campaignId: $c, box: { minLongitude: 179, minLatitude: -20, maxLongitude: -179, maxLatitude: -15 }) { id }
        places: locationsInBox(campaignId: $c, box: { minLongitude: 0, minLatitude: 0, maxLongitude: 0.5, maxLatitude: 0.5 }) { id }
        region: settlementsInRegion(campaignId: $c, regionId: "square") { id }
        nearest: nearestSettlements(campaignId: $c, longitude: 0.4, latitude: 0.4, count: 2) { id }
      }`,
      { c: 'maps' },
    );
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.data).toEqual({
      radius: [{ id: 's-east' }, { id: 's-west' }],
      box: [{ id: 's-east' }, { id: 's-west' }],
      places: [{ id: 'inside' }, { id: 'square' }],
      region: [{ id: 's-inside' }, { id: 's-square' }],
      nearest: [{ id: 's-square' }, { id: 's-inside' }],
    });
  });

  it('refuses a region that is a point, a latitude out of range and a negative radius with VALIDATION; a missing region is NOT_FOUND', async () => {
    const cases: [string, string][] = [
      ['{ settlementsInRegion(campaignId: "maps", regionId: "east") { id } }', 'VALIDATION'],
      ['{ settlementsInRegion(campaignId: "maps", regionId: "nowhere") { id } }', 'NOT_FOUND'],
      ['{ nearestSettlements(campaignId: "maps", longitude: 0, latitude: 91) { id } }', 'VALIDATION'],
      ['{ settlementsWithinRadius(campaignId: "maps", longitude: 0, latitude: 0, meters: -1) { id } }', 'VALIDATION'],
      [
        '{ settlementsInBox(campaignId: "maps", box: { minLongitude: 0, minLatitude: 10, maxLongitude: 1, maxLatitude: 0 }) { id } }',
        'VALIDATION',
      ],
    ];
    for (const [query, code] of cases) {
      const { result } = await run(query);
      expect(
        result.errors?.map((e) => e.extensions?.code),
        query,
      ).toEqual([code]);
    }
  });
});
