import type { OwnerType, Role } from '@cm/contracts';
import type { ListName, ListQuery, ListRow, Page, PageQuery } from './lists.js';
import { PostgresLists } from './postgres-lists.js';
import {
  PostgresSpatial,
  type BoxQuery,
  type NearestQuery,
  type RadiusQuery,
  type RegionQuery,
} from './postgres-spatial.js';
import type {
  BranchRef,
  BranchRow,
  CampaignRow,
  EntityKey,
  FieldConditionRow,
  KingdomRow,
  LocationRow,
  MemberRow,
  OwnerKey,
  ReadModel,
  Scope,
  SettlementRow,
  StateVariableRow,
  StructureRow,
  WorldEventRow,
} from './read-model.port.js';
import { READERS, type DbRow, type RowReader } from './row-mappers.js';
import { pgArray, type Sql } from './sql.js';
import type { RowOf, TableName } from './tables.js';

/** One input column of a batch: its SQL name and one value per input (null: "no filter" where allowed). */
type Input = [name: string, values: readonly (string | null | undefined)[]];

/**
 * The ReadModel port over the Postgres read model. Every method costs one query whatever the number of keys:
 * the inputs are `unnest`ed `WITH ORDINALITY`, joined to the table, and each result row carries the ordinal
 * (`k.i`) of the input it answers, so answers come back in input order (DataLoader's contract).
 * Tombstones (`deleted`) are filtered out in SQL.
 */
export class PostgresReadModel implements ReadModel {
  private readonly lists: PostgresLists;
  private readonly spatial: PostgresSpatial;

  constructor(
    private readonly sql: Sql,
    private readonly schema: string,
  ) {
    this.lists = new PostgresLists(sql, schema);
    this.spatial = new PostgresSpatial(sql, schema);
  }

  private table(name: string): string {
    return `"${this.schema}"."${name}"`;
  }

  /** Rows per input (index 0-based), from one statement. `on` joins `k` (the inputs) to `t`. */
  private async batched(
    count: number,
    inputs: Input[],
    from: string,
    select: string,
    on: string,
    order: string,
  ): Promise<DbRow[][]> {
    const out: DbRow[][] = Array.from({ length: count }, () => []);
    if (count === 0) return out;
    const names = inputs.map(([name]) => name).join(', ');
    // One input (a lone DataLoader key, as when a mutation reads back its entity) as a one-row VALUES: Postgres
    // folds its constants into the join and plans a plain index lookup, about twice the rate of the unnest form.
    const single = count === 1;
    const source = single
      ? `(VALUES (${inputs.map(() => '?::text').join(', ')}, 1)) AS k(${names}, i)`
      : `unnest(${inputs.map(() => '?::text[]').join(', ')}) WITH ORDINALITY AS k(${names}, i)`;
    const rows = await this.sql.all<DbRow>(
      `SELECT k.i, ${select} FROM ${source} JOIN ${this.table(from)} t ON ${on} WHERE NOT t.deleted ORDER BY k.i, ${order}`,
      inputs.map(([, values]) => (single ? (values[0] ?? null) : pgArray(values))),
    );
    for (const row of rows) out[Number(row.i) - 1]!.push(row);
    return out;
  }

  /** At most one row of `table` per input. */
  private async one<T extends TableName>(
    count: number,
    inputs: Input[],
    table: T,
    on: string,
  ): Promise<(RowOf<T> | null)[]> {
    const { select, map } = READERS[table] as RowReader<RowOf<T>>;
    const rows = await this.batched(count, inputs, table, select, on, 't.last_seq');
    return rows.map((r) => (r[0] ? map(r[0]) : null));
  }

  /** Every row of `table` per input, in `order`. */
  private async many<T extends TableName>(
    count: number,
    inputs: Input[],
    table: T,
    on: string,
    order: string,
  ): Promise<RowOf<T>[][]> {
    const { select, map } = READERS[table] as RowReader<RowOf<T>>;
    const rows = await this.batched(count, inputs, table, select, on, order);
    return rows.map((r) => r.map(map));
  }

  private entityKeys(keys: readonly EntityKey[]): Input[] {
    return [
      ['campaign_id', keys.map((k) => k.campaignId)],
      ['branch_id', keys.map((k) => k.branchId)],
      ['id', keys.map((k) => k.id)],
    ];
  }

  private scopeInputs(scopes: readonly Scope[]): Input[] {
    return [
      ['campaign_id', scopes.map((s) => s.campaignId)],
      ['branch_id', scopes.map((s) => s.branchId)],
    ];
  }

  private static readonly ON_ENTITY = 't.campaign_id = k.campaign_id AND t.branch_id = k.branch_id AND t.id = k.id';
  private static readonly ON_SCOPE = 't.campaign_id = k.campaign_id AND t.branch_id = k.branch_id';

  campaignsByIds(ids: readonly string[]): Promise<(CampaignRow | null)[]> {
    return this.one(ids.length, [['id', ids]], 'campaign', 't.id = k.id');
  }

  async campaignsOfUser(userId: string): Promise<CampaignRow[]> {
    const rows = await this.sql.all<DbRow>(
      `SELECT ${READERS.campaign.select} FROM ${this.table('campaign_member')} mb JOIN ${this.table('campaign')} t ON t.id = mb.campaign_id ` +
        'WHERE mb.user_id = ? AND NOT mb.deleted AND NOT t.deleted ORDER BY t.name, t.id',
      [userId],
    );
    return rows.map(READERS.campaign.map);
  }

  membersByCampaigns(campaignIds: readonly string[]): Promise<MemberRow[][]> {
    return this.many(
      campaignIds.length,
      [['campaign_id', campaignIds]],
      'campaign_member',
      't.campaign_id = k.campaign_id',
      't.user_id',
    );
  }

  async rolesByKeys(keys: readonly { campaignId: string; userId: string }[]): Promise<(Role | null)[]> {
    const inputs: Input[] = [
      ['campaign_id', keys.map((k) => k.campaignId)],
      ['user_id', keys.map((k) => k.userId)],
    ];
    const rows = await this.one(
      keys.length,
      inputs,
      'campaign_member',
      't.campaign_id = k.campaign_id AND t.user_id = k.user_id',
    );
    return rows.map((r) => r?.role ?? null);
  }

  branchesByCampaigns(campaignIds: readonly string[]): Promise<BranchRow[][]> {
    // `main` first, then by name.
    const order = "t.id <> 'main', t.name, t.id";
    return this.many(
      campaignIds.length,
      [['campaign_id', campaignIds]],
      'branch',
      't.campaign_id = k.campaign_id',
      order,
    );
  }

  branchesByKeys(keys: readonly BranchRef[]): Promise<(BranchRow | null)[]> {
    const inputs: Input[] = [
      ['campaign_id', keys.map((k) => k.campaignId)],
      ['id', keys.map((k) => k.id)],
    ];
    return this.one(keys.length, inputs, 'branch', 't.campaign_id = k.campaign_id AND t.id = k.id');
  }

  kingdomsByKeys(keys: readonly EntityKey[]): Promise<(KingdomRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'kingdom', PostgresReadModel.ON_ENTITY);
  }

  kingdomsByScopes(scopes: readonly Scope[]): Promise<KingdomRow[][]> {
    return this.many(scopes.length, this.scopeInputs(scopes), 'kingdom', PostgresReadModel.ON_SCOPE, 't.name, t.id');
  }

  locationsByKeys(keys: readonly EntityKey[]): Promise<(LocationRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'location', PostgresReadModel.ON_ENTITY);
  }

  locationsByScopes(scopes: readonly Scope[]): Promise<LocationRow[][]> {
    return this.many(scopes.length, this.scopeInputs(scopes), 'location', PostgresReadModel.ON_SCOPE, 't.name, t.id');
  }

  settlementsByKeys(keys: readonly EntityKey[]): Promise<(SettlementRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'settlement', PostgresReadModel.ON_ENTITY);
  }

  settlementsByParents(
    parents: readonly (Scope & { kingdomId?: string; locationId?: string })[],
  ): Promise<SettlementRow[][]> {
    const inputs: Input[] = [
      ...this.scopeInputs(parents),
      ['kingdom_id', parents.map((p) => p.kingdomId)],
      ['location_id', parents.map((p) => p.locationId)],
    ];
    const on =
      `${PostgresReadModel.ON_SCOPE} AND (k.kingdom_id IS NULL OR t.kingdom_id = k.kingdom_id) ` +
      'AND (k.location_id IS NULL OR t.location_id = k.location_id)';
    return this.many(parents.length, inputs, 'settlement', on, 't.name, t.id');
  }

  structuresByKeys(keys: readonly EntityKey[]): Promise<(StructureRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'structure', PostgresReadModel.ON_ENTITY);
  }

  structuresBySettlements(parents: readonly (Scope & { settlementId: string })[]): Promise<StructureRow[][]> {
    const inputs: Input[] = [...this.scopeInputs(parents), ['settlement_id', parents.map((p) => p.settlementId)]];
    const on = `${PostgresReadModel.ON_SCOPE} AND t.settlement_id = k.settlement_id`;
    return this.many(parents.length, inputs, 'structure', on, 't.name, t.id');
  }

  variablesByKeys(keys: readonly (OwnerKey & { key: string })[]): Promise<(StateVariableRow | null)[]> {
    const inputs: Input[] = [...this.ownerInputs(keys), ['key', keys.map((k) => k.key)]];
    const on = `${PostgresReadModel.ON_SCOPE} AND t.owner_type = k.owner_type AND t.owner_id = k.owner_id AND t.key = k.key`;
    return this.one(keys.length, inputs, 'state_variable', on);
  }

  variablesByOwners(owners: readonly OwnerKey[]): Promise<StateVariableRow[][]> {
    const on = `${PostgresReadModel.ON_SCOPE} AND t.owner_type = k.owner_type AND t.owner_id = k.owner_id`;
    return this.many(owners.length, this.ownerInputs(owners), 'state_variable', on, 't.key');
  }

  variablesByScopes(scopes: readonly Scope[]): Promise<StateVariableRow[][]> {
    const order = 't.owner_type, t.owner_id, t.key';
    return this.many(scopes.length, this.scopeInputs(scopes), 'state_variable', PostgresReadModel.ON_SCOPE, order);
  }

  private ownerInputs(owners: readonly OwnerKey[]): Input[] {
    return [
      ...this.scopeInputs(owners),
      ['owner_type', owners.map((o) => o.ownerType)],
      ['owner_id', owners.map((o) => o.ownerId)],
    ];
  }

  fieldConditionsByKeys(keys: readonly EntityKey[]): Promise<(FieldConditionRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'field_condition', PostgresReadModel.ON_ENTITY);
  }

  fieldConditionsByScopes(
    scopes: readonly (Scope & { entityType?: OwnerType; entityId?: string })[],
  ): Promise<FieldConditionRow[][]> {
    const inputs: Input[] = [
      ...this.scopeInputs(scopes),
      ['entity_type', scopes.map((s) => s.entityType)],
      ['entity_id', scopes.map((s) => s.entityId)],
    ];
    const on =
      `${PostgresReadModel.ON_SCOPE} AND (k.entity_type IS NULL OR t.entity_type = k.entity_type) ` +
      'AND (k.entity_id IS NULL OR t.entity_id = k.entity_id)';
    // Highest priority first.
    return this.many(scopes.length, inputs, 'field_condition', on, 't.priority DESC, t.id');
  }

  worldEventsByKeys(keys: readonly EntityKey[]): Promise<(WorldEventRow | null)[]> {
    return this.one(keys.length, this.entityKeys(keys), 'world_event', PostgresReadModel.ON_ENTITY);
  }

  worldEventsByScopes(scopes: readonly Scope[]): Promise<WorldEventRow[][]> {
    return this.many(
      scopes.length,
      this.scopeInputs(scopes),
      'world_event',
      PostgresReadModel.ON_SCOPE,
      't.scheduled_at, t.id',
    );
  }

  listPages<L extends ListName>(list: L, queries: readonly PageQuery[]): Promise<Page<ListRow<L>>[]> {
    return this.lists.pages(list, queries);
  }

  listCounts(list: ListName, queries: readonly ListQuery[]): Promise<number[]> {
    return this.lists.counts(list, queries);
  }

  settlementsWithinRadius(query: RadiusQuery): Promise<SettlementRow[]> {
    return this.spatial.settlementsWithinRadius(query);
  }

  settlementsInBox(query: BoxQuery): Promise<SettlementRow[]> {
    return this.spatial.settlementsInBox(query);
  }

  locationsInBox(query: BoxQuery): Promise<LocationRow[]> {
    return this.spatial.locationsInBox(query);
  }

  settlementsInRegion(query: RegionQuery): Promise<SettlementRow[]> {
    return this.spatial.settlementsInRegion(query);
  }

  nearestSettlements(query: NearestQuery): Promise<SettlementRow[]> {
    return this.spatial.nearestSettlements(query);
  }

  async checkpoint(projection: string): Promise<number> {
    const rows = await this.sql.all<{ seq: string }>(
      `SELECT seq FROM ${this.table('projection_checkpoint')} WHERE name = ?`,
      [projection],
    );
    return rows[0] ? Number(rows[0].seq) : 0;
  }
}
