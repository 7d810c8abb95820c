import type { Scope, SettlementRow, LocationRow } from './read-model.port.js';
import { READERS, type DbRow } from './row-mappers.js';
import type { Sql } from './sql.js';

/** A position in SRID 4326. */
export interface LonLat {
  lon: number;
  lat: number;
}

/** A box in SRID 4326. `minLon > maxLon` is a box across the antimeridian (from minLon east to maxLon). */
export interface Box {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export interface RadiusQuery extends Scope {
  center: LonLat;
  meters: number;
  first: number;
}
export interface BoxQuery extends Scope {
  box: Box;
  first: number;
}
export interface RegionQuery extends Scope {
  regionId: string;
  first: number;
}
export interface NearestQuery extends Scope {
  center: LonLat;
  count: number;
}

const point = 'ST_SetSRID(ST_MakePoint(?::float8, ?::float8), 4326)';

/** The envelope test of a box, as `&&` (the GIST index) and `ST_Intersects` (boundary included). */
function inBox(column: string, box: Box): { sql: string; params: number[] } {
  const one = (minLon: number, maxLon: number) => ({
    sql: `(${column} && ST_MakeEnvelope(?, ?, ?, ?, 4326) AND ST_Intersects(${column}, ST_MakeEnvelope(?, ?, ?, ?, 4326)))`,
    params: [minLon, box.minLat, maxLon, box.maxLat, minLon, box.minLat, maxLon, box.maxLat],
  });
  if (box.minLon <= box.maxLon) return one(box.minLon, box.maxLon);
  // Across the antimeridian: the part east of minLon and the part west of maxLon.
  const [east, west] = [one(box.minLon, 180), one(-180, box.maxLon)];
  return { sql: `(${east.sql} OR ${west.sql})`, params: [...east.params, ...west.params] };
}

/**
 * Spatial queries over the locations' geometry. A settlement stands where its location is. Radius and nearest
 * measure on the spheroid (geography: meters, right across the antimeridian and near the poles) and use the
 * geography GIST index; boxes and regions compare in longitude/latitude, as GeoJSON draws edges (RFC 7946
 * §3.1.1), with the geometry GIST index. Every boundary counts as inside.
 */
export class PostgresSpatial {
  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
  ) {}

  private table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /** Settlements (`t`) at their locations (`l`) of a branch. */
  private settlementsAt(): string {
    return (
      `${this.table('location')} l JOIN ${this.table('settlement')} t ON t.campaign_id = l.campaign_id AND t.branch_id = l.branch_id ` +
      'AND t.location_id = l.id AND NOT t.deleted'
    );
  }

  /** Nearest first, then by id; the distance on the spheroid, the edge included. */
  async settlementsWithinRadius(q: RadiusQuery): Promise<SettlementRow[]> {
    const rows = await this.sql.all<DbRow>(
      `SELECT ${READERS.settlement.select} FROM ${this.settlementsAt()} ` +
        `WHERE l.campaign_id = ? AND l.branch_id = ? AND NOT l.deleted AND ST_DWithin(l.geometry::geography, ${point}::geography, ?) ` +
        `ORDER BY ST_Distance(l.geometry::geography, ${point}::geography), t.id LIMIT ?`,
      [q.campaignId, q.branchId, q.center.lon, q.center.lat, q.meters, q.center.lon, q.center.lat, q.first],
    );
    return rows.map(READERS.settlement.map);
  }

  /** By name, then id. */
  async settlementsInBox(q: BoxQuery): Promise<SettlementRow[]> {
    const box = inBox('l.geometry', q.box);
    const rows = await this.sql.all<DbRow>(
      `SELECT ${READERS.settlement.select} FROM ${this.settlementsAt()} ` +
        `WHERE l.campaign_id = ? AND l.branch_id = ? AND NOT l.deleted AND ${box.sql} ORDER BY t.name, t.id LIMIT ?`,
      [q.campaignId, q.branchId, ...box.params, q.first],
    );
    return rows.map(READERS.settlement.map);
  }

  /** Locations whose geometry touches the box, by name, then id. */
  async locationsInBox(q: BoxQuery): Promise<LocationRow[]> {
    const box = inBox('t.geometry', q.box);
    const rows = await this.sql.all<DbRow>(
      `SELECT ${READERS.location.select} FROM ${this.table('location')} t ` +
        `WHERE t.campaign_id = ? AND t.branch_id = ? AND NOT t.deleted AND ${box.sql} ORDER BY t.name, t.id LIMIT ?`,
      [q.campaignId, q.branchId, ...box.params, q.first],
    );
    return rows.map(READERS.location.map);
  }

  /** Settlements whose location lies in the region (a Polygon location), its boundary included; by name, then id. */
  async settlementsInRegion(q: RegionQuery): Promise<SettlementRow[]> {
    const rows = await this.sql.all<DbRow>(
      `SELECT ${READERS.settlement.select} FROM ${this.table('location')} r JOIN ${this.settlementsAt()} ` +
        'ON l.campaign_id = r.campaign_id AND l.branch_id = r.branch_id AND NOT l.deleted AND l.geometry && r.geometry AND ST_Covers(r.geometry, l.geometry) ' +
        "WHERE r.campaign_id = ? AND r.branch_id = ? AND r.id = ? AND NOT r.deleted AND GeometryType(r.geometry) = 'POLYGON' " +
        'ORDER BY t.name, t.id LIMIT ?',
      [q.campaignId, q.branchId, q.regionId, q.first],
    );
    return rows.map(READERS.settlement.map);
  }

  /**
   * The `count` settlements nearest the point, nearest first, then by id. The index walks locations in order of
   * distance (KNN `<->` on geography) and stops at the `count`-th location with a settlement: those locations
   * hold the nearest settlements, since every one holds at least one.
   */
  async nearestSettlements(q: NearestQuery): Promise<SettlementRow[]> {
    const rows = await this.sql.all<DbRow>(
      `WITH near AS (SELECT l.id, l.geometry::geography <-> ${point}::geography AS d FROM ${this.table('location')} l ` +
        'WHERE l.campaign_id = ? AND l.branch_id = ? AND NOT l.deleted ' +
        `AND EXISTS (SELECT 1 FROM ${this.table('settlement')} s WHERE s.campaign_id = l.campaign_id AND s.branch_id = l.branch_id AND s.location_id = l.id AND NOT s.deleted) ` +
        `ORDER BY l.geometry::geography <-> ${point}::geography LIMIT ?) ` +
        `SELECT ${READERS.settlement.select} FROM near JOIN ${this.table('settlement')} t ON t.campaign_id = ? AND t.branch_id = ? AND t.location_id = near.id AND NOT t.deleted ` +
        'ORDER BY near.d, t.id LIMIT ?',
      [
        q.center.lon,
        q.center.lat,
        q.campaignId,
        q.branchId,
        q.center.lon,
        q.center.lat,
        q.count,
        q.campaignId,
        q.branchId,
        q.count,
      ],
    );
    return rows.map(READERS.settlement.map);
  }
}
