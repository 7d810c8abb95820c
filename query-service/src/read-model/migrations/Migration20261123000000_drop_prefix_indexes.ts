import { Migration } from '@mikro-orm/migrations';

/**
 * Drops the `(campaign_id, branch_id)` indexes of kingdom and location: their primary keys
 * `(campaign_id, branch_id, id)` already serve those list queries. Besides costing every insert, they misled
 * the planner: with statistics older than a burst of inserts it probed the projector's batched updates through
 * them instead of the key, scanning every row of the branch per updated row (128 renames over 24k kingdoms:
 * 821 ms instead of 5).
 */
export class Migration20261123000000_drop_prefix_indexes extends Migration {
  override name = 'Migration20261123000000_drop_prefix_indexes';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(`drop index if exists ${s}.kingdom_campaign_id_branch_id_index`);
    this.addSql(`drop index if exists ${s}.location_campaign_id_branch_id_index`);
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    this.addSql(
      `create index if not exists kingdom_campaign_id_branch_id_index on ${s}.kingdom (campaign_id, branch_id)`,
    );
    this.addSql(
      `create index if not exists location_campaign_id_branch_id_index on ${s}.location (campaign_id, branch_id)`,
    );
  }
}
