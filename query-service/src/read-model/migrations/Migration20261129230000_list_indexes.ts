import { Migration } from '@mikro-orm/migrations';

/**
 * One index per paginated list (lists.ts): the list's scope, its parent columns, then its sort key, so a page is
 * one range scan from the cursor that stops after `first + 1` rows, and a count is an index scan. The scope is the
 * expression `campaign_id || '/' || branch_id` (ids never hold a `/`) rather than the two columns: an index led by
 * `(campaign_id, branch_id)` draws the planner away from the primary key for the projector's batched updates when
 * statistics are stale (Migration20261123000000_drop_prefix_indexes, planner.int.spec.ts), and no statement but a
 * list's names this expression. State variables are listed in their primary key's order already. The geography
 * index serves the radius and nearest queries (postgres-spatial.ts); boxes and regions use the geometry index.
 */
export class Migration20261129230000_list_indexes extends Migration {
  override name = 'Migration20261129230000_list_indexes';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    const scope = "(campaign_id || '/' || branch_id)";
    this.addSql(`create index kingdom_list_index on ${s}.kingdom (${scope}, name, id)`);
    this.addSql(`create index location_list_index on ${s}.location (${scope}, name, id)`);
    this.addSql(`create index settlement_list_index on ${s}.settlement (${scope}, name, id)`);
    this.addSql(`create index settlement_kingdom_list_index on ${s}.settlement (${scope}, kingdom_id, name, id)`);
    this.addSql(`create index settlement_location_list_index on ${s}.settlement (${scope}, location_id, name, id)`);
    this.addSql(`create index structure_settlement_list_index on ${s}.structure (${scope}, settlement_id, name, id)`);
    this.addSql(`create index field_condition_list_index on ${s}.field_condition (${scope}, (-priority), id)`);
    this.addSql(`create index world_event_list_index on ${s}.world_event (${scope}, scheduled_at, id)`);
    this.addSql(`create index location_geography_index on ${s}.location using gist ((geometry::geography))`);
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    for (const index of [
      'kingdom',
      'location',
      'settlement',
      'settlement_kingdom',
      'settlement_location',
      'structure_settlement',
      'field_condition',
      'world_event',
    ]) {
      this.addSql(`drop index if exists ${s}.${index}_list_index`);
    }
    this.addSql(`drop index if exists ${s}.location_geography_index`);
  }
}
