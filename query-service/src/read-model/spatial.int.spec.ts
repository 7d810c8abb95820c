import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '@cm/testkit';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import type { Database } from './database.js';
import { PostgresReadModel } from './postgres-read-model.js';
import type { Sql } from './sql.js';

// Spatial queries over a fixture of known coordinates: Paris and London, a square region with points on its
// edge and corner, two islands either side of the antimeridian, two points near the north pole 180° apart.
const ns = testNamespace();
const schema = `spatial_${ns}`;
let db: Database;
let rm: PostgresReadModel;
const statements: { sql: string; params: readonly unknown[] }[] = [];
const t = (name: string) => `"${schema}"."${name}"`;
const main = { campaignId: 'c1', branchId: 'main' };

const points: Record<string, [number, number]> = {
  paris: [2.3522, 48.8566],
  london: [-0.1276, 51.5072],
  'edge-5': [5, 40],
  'corner-10': [10, 50],
  outside: [10.0001, 45],
  'fiji-east': [179.9, -17.7],
  'fiji-west': [-179.9, -17.7],
  suva: [178.44, -18.14],
  'pole-a': [0, 89.9],
  'pole-b': [180, 89.9],
};
const region = {
  type: 'Polygon',
  coordinates: [
    [
      [0, 40],
      [10, 40],
      [10, 50],
      [0, 50],
      [0, 40],
    ],
  ],
};

async function location(campaignId: string, branchId: string, id: string, geometry: unknown): Promise<void> {
  await db.sql.run(
    `INSERT INTO ${t('location')} (campaign_id, branch_id, id, name, geometry, last_seq) VALUES (?, ?, ?, ?, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326), 1)`,
    [campaignId, branchId, id, id, JSON.stringify(geometry)],
  );
}
async function settlement(
  campaignId: string,
  branchId: string,
  id: string,
  locationId: string,
  deleted = false,
): Promise<void> {
  await db.sql.run(
    `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, deleted, last_seq) VALUES (?, ?, ?, 'k', ?, ?, 1, ?, 1)`,
    [campaignId, branchId, id, locationId, id, deleted],
  );
}

beforeAll(async () => {
  db = await openTestDatabase(ns, schema);
  rm = new PostgresReadModel(
    {
      all: (sql, params = []) => (statements.push({ sql, params }), db.sql.all(sql, params)),
      run: (sql, params) => db.sql.run(sql, params),
    } satisfies Sql,
    schema,
  );
  for (const [id, coordinates] of Object.entries(points)) {
    await location('c1', 'main', id, { type: 'Point', coordinates });
    await settlement('c1', 'main', `s-${id}`, id);
  }
  await location('c1', 'main', 'region', region);
  await settlement('c1', 'main', 's-region', 'region');
  await settlement('c1', 'main', 's-paris-2', 'paris');
  await settlement('c1', 'main', 's-paris-gone', 'paris', true);
  // The same places in another branch and another campaign: never in c1/main's answers.
  await location('c1', 'fork', 'paris', { type: 'Point', coordinates: points.paris });
  await settlement('c1', 'fork', 's-fork', 'paris');
  await location('c2', 'main', 'paris', { type: 'Point', coordinates: points.paris });
  await settlement('c2', 'main', 's-c2', 'paris');
  // Places all over the globe: of 300 small campaigns, and of one big one (`big`, 20,000) whose plans the
  // index test reads.
  await db.sql.run(
    `INSERT INTO ${t('location')} (campaign_id, branch_id, id, name, geometry, last_seq) ` +
      `SELECT CASE WHEN g % 2 = 0 THEN 'big' ELSE 'f' || (g % 300) END, 'main', 'l' || g, 'Place', ` +
      `ST_SetSRID(ST_MakePoint((g::bigint * 7919 % 36000) / 100.0 - 180, (g::bigint * 104729 % 17800) / 100.0 - 89), 4326), 1 FROM generate_series(1, 40000) g`,
  );
  await db.sql.run(
    `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) ` +
      `SELECT CASE WHEN g % 2 = 0 THEN 'big' ELSE 'f' || (g % 300) END, 'main', 's' || g, 'k', 'l' || g, 'Town', 1, 1 FROM generate_series(1, 40000) g`,
  );
  await location('big', 'main', 'region', region);
  await db.sql.run(`ANALYZE ${t('location')}, ${t('settlement')}`);
}, 60_000);

afterAll(async () => {
  await dropSchema(db.sql, schema);
  await db.close();
});

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/** The spheroid distance PostGIS measures between two of the fixture's points. */
async function meters(a: [number, number], b: [number, number]): Promise<number> {
  const [row] = await db.sql.all<{ d: number }>(
    'SELECT ST_Distance(ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)::geography, ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)::geography) AS d',
    [...a, ...b],
  );
  return Number(row!.d);
}

describe('settlements within a radius', () => {
  it('includes a settlement exactly on the circle, nearest first, and not one a meter beyond', async () => {
    const d = await meters(points.paris, points.london);
    expect(d).toBeGreaterThan(340_000);
    const center = { lon: points.paris[0], lat: points.paris[1] };
    // The region holds Paris: its distance is 0 too, and ties go by id.
    expect(ids(await rm.settlementsWithinRadius({ ...main, center, meters: d, first: 100 }))).toEqual([
      's-paris',
      's-paris-2',
      's-region',
      's-london',
    ]);
    expect(ids(await rm.settlementsWithinRadius({ ...main, center, meters: d - 1, first: 100 }))).toEqual([
      's-paris',
      's-paris-2',
      's-region',
    ]);
    expect(ids(await rm.settlementsWithinRadius({ ...main, center, meters: d, first: 1 }))).toEqual(['s-paris']);
  });

  it('reaches across the antimeridian and across the pole', async () => {
    const fiji = await rm.settlementsWithinRadius({
      ...main,
      center: { lon: 179.95, lat: -17.7 },
      meters: 25_000,
      first: 100,
    });
    expect(ids(fiji)).toEqual(['s-fiji-east', 's-fiji-west']);
    // 0° and 180° at 89.9° N are 22 km apart over the pole; 12.4 km each from (90°, 89.95°).
    expect(
      ids(await rm.settlementsWithinRadius({ ...main, center: { lon: 90, lat: 89.95 }, meters: 15_000, first: 100 })),
    ).toEqual(['s-pole-a', 's-pole-b']);
    expect(
      await rm.settlementsWithinRadius({ ...main, center: { lon: 90, lat: 89.95 }, meters: 10_000, first: 100 }),
    ).toEqual([]);
  });
});

describe('entities in a bounding box', () => {
  const square = { minLon: 0, minLat: 40, maxLon: 10, maxLat: 50 };

  it('includes points on the edge and at the corner, and a region that touches it', async () => {
    expect(ids(await rm.settlementsInBox({ ...main, box: square, first: 100 }))).toEqual([
      's-corner-10',
      's-edge-5',
      's-paris',
      's-paris-2',
      's-region',
    ]);
    expect(ids(await rm.locationsInBox({ ...main, box: square, first: 100 }))).toEqual([
      'corner-10',
      'edge-5',
      'paris',
      'region',
    ]);
    // A box that overlaps the region's corner but holds none of its points still finds the region.
    expect(
      ids(await rm.locationsInBox({ ...main, box: { minLon: 9, minLat: 49, maxLon: 9.5, maxLat: 49.5 }, first: 100 })),
    ).toEqual(['region']);
  });

  it('crosses the antimeridian when minLon > maxLon', async () => {
    const box = { minLon: 179, minLat: -20, maxLon: -179, maxLat: -15 };
    expect(ids(await rm.settlementsInBox({ ...main, box, first: 100 }))).toEqual(['s-fiji-east', 's-fiji-west']);
    // The same corners the other way round are the rest of the world at those latitudes: Suva, not the islands.
    expect(
      ids(
        await rm.settlementsInBox({
          ...main,
          box: { minLon: -179, minLat: -20, maxLon: 179, maxLat: -15 },
          first: 100,
        }),
      ),
    ).toEqual(['s-suva']);
  });

  it('covers the polar cap', async () => {
    expect(
      ids(
        await rm.settlementsInBox({
          ...main,
          box: { minLon: -180, minLat: 89.8, maxLon: 180, maxLat: 90 },
          first: 100,
        }),
      ),
    ).toEqual(['s-pole-a', 's-pole-b']);
  });
});

describe('settlements in a region', () => {
  it('includes the boundary and the region itself, excludes a point just outside', async () => {
    expect(ids(await rm.settlementsInRegion({ ...main, regionId: 'region', first: 100 }))).toEqual([
      's-corner-10',
      's-edge-5',
      's-paris',
      's-paris-2',
      's-region',
    ]);
  });

  it('is empty for a location that is not a polygon, or not there', async () => {
    expect(await rm.settlementsInRegion({ ...main, regionId: 'paris', first: 100 })).toEqual([]);
    expect(await rm.settlementsInRegion({ ...main, regionId: 'nowhere', first: 100 })).toEqual([]);
  });
});

describe('nearest settlements', () => {
  it('nearest first, across the antimeridian', async () => {
    const center = { lon: 179.95, lat: -17.7 };
    expect(ids(await rm.nearestSettlements({ ...main, center, count: 2 }))).toEqual(['s-fiji-east', 's-fiji-west']);
    expect(ids(await rm.nearestSettlements({ ...main, center, count: 3 }))).toEqual([
      's-fiji-east',
      's-fiji-west',
      's-suva',
    ]);
  });

  it('at the pole: the two points 180° apart tie, broken by id; then London, the nearer of the rest', async () => {
    expect(ids(await rm.nearestSettlements({ ...main, center: { lon: 0, lat: 90 }, count: 3 }))).toEqual([
      's-pole-a',
      's-pole-b',
      's-london',
    ]);
  });

  it('two settlements at one place both count; a region holding the point is at distance 0', async () => {
    const center = { lon: points.paris[0], lat: points.paris[1] };
    expect(ids(await rm.nearestSettlements({ ...main, center, count: 2 }))).toEqual(['s-paris', 's-paris-2']);
    expect(ids(await rm.nearestSettlements({ ...main, center, count: 4 }))).toEqual([
      's-paris',
      's-paris-2',
      's-region',
      's-london',
    ]);
  });
});

describe('the GIST indexes', () => {
  it('serve every spatial query in a campaign of 20,000 places: no sequential scan of locations', async () => {
    statements.length = 0;
    const big = { campaignId: 'big', branchId: 'main' };
    const center = { lon: 10, lat: 10 };
    await rm.settlementsWithinRadius({ ...big, center, meters: 50_000, first: 10 });
    await rm.nearestSettlements({ ...big, center, count: 5 });
    await rm.settlementsInBox({ ...big, box: { minLon: 179, minLat: -20, maxLon: -179, maxLat: -15 }, first: 10 });
    await rm.locationsInBox({ ...big, box: { minLon: 0, minLat: 0, maxLon: 1, maxLat: 1 }, first: 10 });
    await rm.settlementsInRegion({ ...big, regionId: 'region', first: 10 });
    const expected = ['geography', 'geography', 'geometry', 'geometry', 'geometry'];
    expect(statements).toHaveLength(expected.length);
    for (const [i, { sql, params }] of statements.entries()) {
      const rows = await db.sql.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan, plan).not.toMatch(/Seq Scan on location/);
      expect(plan, plan).toContain(`location_${expected[i]}_index`);
    }
  });
});
