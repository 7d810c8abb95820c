import type { Sql } from './sql.js';

/**
 * Bulk fixtures for the list and nested-query tests, written straight into the read-model tables with
 * `generate_series` (the projection's own path is tested elsewhere; these tests need tens of thousands of rows
 * quickly). Ids and names are functions of the row number, so a test can compute what each query must answer.
 */
export interface WorldShape {
  campaignId: string;
  branchId?: string;
  kingdoms: number;
  /** Per kingdom. */
  settlementsPerKingdom: number;
  locations: number;
  /** Per settlement. */
  structuresPerSettlement: number;
}

/** Settlement number `n` (1-based): `s<n>`, in kingdom `k<n % kingdoms>`, at location `l<n % locations>`, name `Town <n % 997>`, level `n % 10`. */
export async function writeWorld(sql: Sql, schema: string, w: WorldShape): Promise<void> {
  const t = (name: string) => `"${schema}"."${name}"`;
  const b = w.branchId ?? 'main';
  const settlements = w.kingdoms * w.settlementsPerKingdom;
  const p = [w.campaignId, b];
  await sql.run(
    `INSERT INTO ${t('kingdom')} (campaign_id, branch_id, id, name, last_seq) SELECT ?, ?, 'k' || g, 'Kingdom ' || g, 1 FROM generate_series(0, ${w.kingdoms - 1}) g`,
    p,
  );
  await sql.run(
    `INSERT INTO ${t('location')} (campaign_id, branch_id, id, name, geometry, last_seq) ` +
      `SELECT ?, ?, 'l' || g, 'Place ' || g, ST_SetSRID(ST_MakePoint((g % 360) - 179.5, ((g / 360) % 170) - 85), 4326), 1 FROM generate_series(0, ${w.locations - 1}) g`,
    p,
  );
  await sql.run(
    `INSERT INTO ${t('settlement')} (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) ` +
      `SELECT ?, ?, 's' || g, 'k' || (g % ${w.kingdoms}), 'l' || (g % ${w.locations}), 'Town ' || (g % 997), g % 10, 1 FROM generate_series(1, ${settlements}) g`,
    p,
  );
  await sql.run(
    `INSERT INTO ${t('structure')} (campaign_id, branch_id, id, settlement_id, name, structure_type, level, condition, last_seq) ` +
      `SELECT ?, ?, 's' || g || '-' || j, 's' || g, 'Building ' || j, CASE WHEN j % 2 = 0 THEN 'market' ELSE 'keep' END, j, 100, 1 ` +
      `FROM generate_series(1, ${settlements}) g, generate_series(1, ${w.structuresPerSettlement}) j`,
    p,
  );
  // One variable per structure, and `population` on every third settlement.
  await sql.run(
    `INSERT INTO ${t('state_variable')} (campaign_id, branch_id, owner_type, owner_id, key, value_type, value, last_seq) ` +
      `SELECT ?, ?, 'structure', 's' || g || '-' || j, 'staff', 'number', to_jsonb(j), 1 FROM generate_series(1, ${settlements}) g, generate_series(1, ${w.structuresPerSettlement}) j`,
    p,
  );
  await sql.run(
    `INSERT INTO ${t('state_variable')} (campaign_id, branch_id, owner_type, owner_id, key, value_type, value, last_seq) ` +
      `SELECT ?, ?, 'settlement', 's' || g, 'population', 'number', to_jsonb(g), 1 FROM generate_series(3, ${settlements}, 3) g`,
    p,
  );
  await sql.run(
    `ANALYZE ${t('kingdom')}, ${t('location')}, ${t('settlement')}, ${t('structure')}, ${t('state_variable')}`,
  );
}
