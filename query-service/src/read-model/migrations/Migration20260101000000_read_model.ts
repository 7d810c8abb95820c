import { Migration } from '@mikro-orm/migrations';

/**
 * The initial read model (docs/read-model.md). Every name is qualified with the configured schema, so the
 * migration runs the same whatever the session's search_path; PostGIS types resolve from `public`.
 */
export class Migration20260101000000_read_model extends Migration {
  override name = 'Migration20260101000000_read_model';

  override up(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    const entity = (table: string, columns: string, key: string) =>
      `create table ${s}.${table} (${columns}, deleted boolean not null default false, last_seq bigint not null, ` +
      `updated_at timestamptz not null default now(), primary key (${key}))`;
    const scoped = 'campaign_id text not null, branch_id text not null';

    this.addSql('create extension if not exists postgis with schema public');
    this.addSql(`create schema if not exists ${s}`);
    this.addSql(
      entity(
        'campaign',
        'id text not null, name text not null, description text null, owner_id text not null, archived boolean not null default false',
        'id',
      ),
    );
    this.addSql(
      entity(
        'campaign_member',
        'campaign_id text not null, user_id text not null, role text not null',
        'campaign_id, user_id',
      ),
    );
    this.addSql(
      entity(
        'branch',
        'campaign_id text not null, id text not null, name text not null, parent_branch_id text null, forked_at_seq bigint null',
        'campaign_id, id',
      ),
    );
    this.addSql(entity('kingdom', `${scoped}, id text not null, name text not null`, 'campaign_id, branch_id, id'));
    this.addSql(
      entity(
        'location',
        `${scoped}, id text not null, name text not null, geometry geometry(Geometry, 4326) not null`,
        'campaign_id, branch_id, id',
      ),
    );
    this.addSql(
      entity(
        'settlement',
        `${scoped}, id text not null, kingdom_id text not null, location_id text not null, name text not null, level int not null`,
        'campaign_id, branch_id, id',
      ),
    );
    this.addSql(
      entity(
        'structure',
        `${scoped}, id text not null, settlement_id text not null, name text not null, structure_type text not null, level int not null, condition int not null`,
        'campaign_id, branch_id, id',
      ),
    );
    this.addSql(
      entity(
        'state_variable',
        `${scoped}, owner_type text not null, owner_id text not null, key text not null, value_type text not null, value jsonb not null`,
        'campaign_id, branch_id, owner_type, owner_id, key',
      ),
    );
    this.addSql(
      entity(
        'field_condition',
        `${scoped}, id text not null, entity_type text not null, entity_id text null, field text not null, expression jsonb not null, priority int not null, active boolean not null`,
        'campaign_id, branch_id, id',
      ),
    );
    this.addSql(
      entity(
        'world_event',
        `${scoped}, id text not null, name text not null, description text null, status text not null, scheduled_at timestamptz not null, ` +
          `expires_at timestamptz null, effects jsonb not null, outcome text null`,
        'campaign_id, branch_id, id',
      ),
    );
    this.addSql(
      `create table ${s}.projection_checkpoint (name text primary key, seq bigint not null, updated_at timestamptz not null default now())`,
    );

    // One index per list query of the ReadModel port; the branch-scoped ones also serve the fork copy.
    this.addSql(`create index campaign_member_user_id_index on ${s}.campaign_member (user_id)`);
    this.addSql(`create index kingdom_campaign_id_branch_id_index on ${s}.kingdom (campaign_id, branch_id)`);
    this.addSql(`create index location_campaign_id_branch_id_index on ${s}.location (campaign_id, branch_id)`);
    this.addSql(`create index location_geometry_index on ${s}.location using gist (geometry)`);
    this.addSql(`create index settlement_kingdom_index on ${s}.settlement (campaign_id, branch_id, kingdom_id)`);
    this.addSql(`create index settlement_location_index on ${s}.settlement (campaign_id, branch_id, location_id)`);
    this.addSql(`create index structure_settlement_index on ${s}.structure (campaign_id, branch_id, settlement_id)`);
    this.addSql(
      `create index field_condition_entity_index on ${s}.field_condition (campaign_id, branch_id, entity_type, entity_id)`,
    );
    this.addSql(`create index world_event_status_index on ${s}.world_event (campaign_id, branch_id, status)`);
  }

  override down(): void {
    const s = `"${this.config.get('schema') ?? 'public'}"`;
    const tables = [
      'projection_checkpoint',
      'world_event',
      'field_condition',
      'state_variable',
      'structure',
      'settlement',
      'location',
      'kingdom',
      'branch',
      'campaign_member',
      'campaign',
    ];
    for (const table of tables) this.addSql(`drop table if exists ${s}.${table}`);
  }
}
