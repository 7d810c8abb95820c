import { Migration } from '@mikro-orm/migrations';

/**
 * One index per paginated list (lists.ts): the parent columns, then the list's sort key, so a page is one range
 * scan from the cursor that stops after `first + 1` rows, and a count is an index-only scan. The settlement and
 * structure parent indexes gain the sort key and replace the narrower ones, which they serve as a prefix. State
 * variables are listed in their primary key's order already. The geography index serves the radius and nearest
 * queries (postgres-spatial.ts); boxes and regions use the geometry index that exists.
 */
export class Migration20261129230000_list_indexes extends Migration {
  override name = 'Migration20261129230000_list_indexes';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(`create index kingdom_list_index on ${s}.kingdom (campaign_id, branch_id, name, id)`);
    this.addSql(`create index location_list_index on ${s}.location (campaign_id, branch_id, name, id)`);
    this.addSql(`create index settlement_list_index on ${s}.settlement (campaign_id, branch_id, name, id)`);
    this.addSql(`create index settlement_kingdom_list_index on ${s}.settlement (campaign_id, branch_id, kingdom_id, name, id)`);
    this.addSql(`create index settlement_location_list_index on ${s}.settlement (campaign_id, branch_id, location_id, name, id)`);
    this.addSql(`create index structure_settlement_list_index on ${s}.structure (campaign_id, branch_id, settlement_id, name, id)`);
    this.addSql(`create index field_condition_list_index on ${s}.field_condition (campaign_id, branch_id, (-priority), id)`);
    this.addSql(`create index world_event_list_index on ${s}.world_event (campaign_id, branch_id, scheduled_at, id)`);
    this.addSql(`create index location_geography_index on ${s}.location using gist ((geometry::geography))`);
    this.addSql(`drop index if exists ${s}.settlement_kingdom_index`);
    this.addSql(`drop index if exists ${s}.settlement_location_index`);
    this.addSql(`drop index if exists ${s}.structure_settlement_index`);
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(`create index if not exists settlement_kingdom_index on ${s}.settlement (campaign_id, branch_id, kingdom_id)`);
    this.addSql(`create index if not exists settlement_location_index on ${s}.settlement (campaign_id, branch_id, location_id)`);
    this.addSql(`create index if not exists structure_settlement_index on ${s}.structure (campaign_id, branch_id, settlement_id)`);
    for (const index of ['kingdom', 'location', 'settlement', 'settlement_kingdom', 'settlement_location', 'structure_settlement', 'field_condition', 'world_event']) {
      this.addSql(`drop index if exists ${s}.${index}_list_index`);
    }
    this.addSql(`drop index if exists ${s}.location_geography_index`);
  }
}
