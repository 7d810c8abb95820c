import { LIST_MAX_MEMBERS_DEFAULT } from '../config.js';
import { LISTS, type ListName, type ListQuery, type ListRow, type Page, type PageQuery } from '../read-model/lists.js';
import type { BranchRef, EntityKey, OwnerKey, Scope } from '../read-model/read-model.port.js';
import { READERS, type DbRow, type RowReader } from '../read-model/row-mappers.js';
import { TABLE_NAMES, TABLES, type RowOf, type TableName } from '../read-model/tables.js';
import type { ModelRedis } from './redis-client.js';
import { RedisKeys } from './redis-keys.js';
import { cutPage, listRead, sortRows, type ListRead, type Unserved } from './redis-lists.js';

type Flat = string[];

/** A stored document (HGETALL, flat) as the row reader expects it: columns decoded from JSON, `last_seq` as text. */
function dbRow(flat: Flat): DbRow | null {
  if (flat.length === 0) return null;
  const row: DbRow = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    row[name] = name === 'last_seq' ? flat[i + 1] : JSON.parse(flat[i + 1]!);
  }
  return row.deleted === true ? null : row;
}

/** Every column of a table's documents, `last_seq` first (the READ script's mode p reads them by name). */
const DOC_COLUMNS = Object.fromEntries(
  TABLE_NAMES.map((t) => [t, ['last_seq', ...Object.keys(TABLES[t].key), ...Object.keys(TABLES[t].values)]]),
) as Record<TableName, string[]>;

/** Postgres orders text bytewise here (the database collation is C.UTF-8); so does this. */
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const byNameThenId = (a: { name: string; id: string }, b: { name: string; id: string }) =>
  bytewise(a.name, b.name) || bytewise(a.id, b.id);

/**
 * Reads of the Redis read model the API serves from Redis: documents by key and child lists, in the order the
 * Postgres read model answers them. Every call is one script (one round trip) that answers only if the model is a
 * complete generation whose checkpoint is at least `floor`; otherwise it resolves `undefined` and the caller reads
 * Postgres. Errors (Redis down) are the caller's to fall back on too.
 */
export class RedisReadModel {
  /** Keys relative to the live generation's prefix, which each read script resolves from `base` itself. */
  readonly keys = new RedisKeys('');

  constructor(
    private readonly client: ModelRedis,
    /** The model's base prefix (`<namespace>:rm:`). */
    private readonly base: string,
    /** A paginated list is read here only while it holds at most this many members (`REDIS_LIST_MAX_MEMBERS`). */
    private readonly listMaxMembers = LIST_MAX_MEMBERS_DEFAULT,
  ) {}

  /** The checkpoint of a complete live generation, 0 while none is (the fallback then answers every read). */
  async servingCheckpoint(): Promise<number> {
    const [, , seq, state] = await this.client.generation(this.base);
    return state === 'complete' ? Number(seq) : 0;
  }

  private async byKeys<T extends TableName>(
    table: T,
    keys: readonly Record<string, unknown>[],
    floor: number,
  ): Promise<(RowOf<T> | null)[] | undefined> {
    const reply = await this.client.read([this.base, floor, 'd', ...keys.map((k) => this.keys.doc(table, k))]);
    if (reply[0] !== 1) return undefined;
    const { map } = READERS[table] as RowReader<RowOf<T>>;
    return (reply.slice(1) as Flat[]).map((flat) => {
      const row = dbRow(flat);
      return row ? map(row) : null;
    });
  }

  /** Members of one list per input: `list` is the list key, read in the scope of the input. */
  private async lists<T extends TableName>(
    table: T,
    inputs: readonly { list: string; scope: string }[],
    floor: number,
  ): Promise<RowOf<T>[][] | undefined> {
    const args: (string | number)[] = [this.base, floor, 'l'];
    for (const { list, scope } of inputs) args.push(list, this.keys.docPrefix(table, scope));
    const reply = await this.client.read(args);
    if (reply[0] !== 1) return undefined;
    const { map } = READERS[table] as RowReader<RowOf<T>>;
    return (reply.slice(1) as Flat[][]).map((rows) =>
      rows
        .map(dbRow)
        .filter((r): r is DbRow => r !== null)
        .map(map),
    );
  }

  private static entityKey(k: EntityKey) {
    return { campaign_id: k.campaignId, branch_id: k.branchId, id: k.id };
  }

  private static scope(s: Scope): string {
    return RedisKeys.scopeOf(s.campaignId, s.branchId);
  }

  /** Membership checks of every request: the member's role, or null (removed members are tombstones). */
  async rolesByKeys(keys: readonly { campaignId: string; userId: string }[], floor: number) {
    const rows = await this.byKeys(
      'campaign_member',
      keys.map((k) => ({ campaign_id: k.campaignId, user_id: k.userId })),
      floor,
    );
    return rows?.map((r) => r?.role ?? null);
  }

  branchesByKeys(keys: readonly BranchRef[], floor: number) {
    return this.byKeys(
      'branch',
      keys.map((k) => ({ campaign_id: k.campaignId, id: k.id })),
      floor,
    );
  }

  kingdomsByKeys(keys: readonly EntityKey[], floor: number) {
    return this.byKeys('kingdom', keys.map(RedisReadModel.entityKey), floor);
  }

  locationsByKeys(keys: readonly EntityKey[], floor: number) {
    return this.byKeys('location', keys.map(RedisReadModel.entityKey), floor);
  }

  settlementsByKeys(keys: readonly EntityKey[], floor: number) {
    return this.byKeys('settlement', keys.map(RedisReadModel.entityKey), floor);
  }

  structuresByKeys(keys: readonly EntityKey[], floor: number) {
    return this.byKeys('structure', keys.map(RedisReadModel.entityKey), floor);
  }

  async kingdomsByScopes(scopes: readonly Scope[], floor: number) {
    const inputs = scopes.map((s) => ({
      scope: RedisReadModel.scope(s),
      list: this.keys.list('kingdom', 'all', RedisReadModel.scope(s)),
    }));
    return (await this.lists('kingdom', inputs, floor))?.map((rows) => rows.sort(byNameThenId));
  }

  async locationsByScopes(scopes: readonly Scope[], floor: number) {
    const inputs = scopes.map((s) => ({
      scope: RedisReadModel.scope(s),
      list: this.keys.list('location', 'all', RedisReadModel.scope(s)),
    }));
    return (await this.lists('location', inputs, floor))?.map((rows) => rows.sort(byNameThenId));
  }

  async settlementsByParents(parents: readonly (Scope & { kingdomId?: string; locationId?: string })[], floor: number) {
    const inputs = parents.map((p) => {
      const scope = RedisReadModel.scope(p);
      // The narrowest list that holds the answer; a second parent filter is applied below.
      if (p.kingdomId !== undefined) return { scope, list: this.keys.list('settlement', 'k', scope, p.kingdomId) };
      if (p.locationId !== undefined) return { scope, list: this.keys.list('settlement', 'l', scope, p.locationId) };
      return { scope, list: this.keys.list('settlement', 'all', scope) };
    });
    const rows = await this.lists('settlement', inputs, floor);
    return rows?.map((list, i) =>
      list
        .filter((r) => parents[i]!.locationId === undefined || r.locationId === parents[i]!.locationId)
        .sort(byNameThenId),
    );
  }

  async structuresBySettlements(parents: readonly (Scope & { settlementId: string })[], floor: number) {
    const inputs = parents.map((p) => {
      const scope = RedisReadModel.scope(p);
      return { scope, list: this.keys.list('structure', 's', scope, p.settlementId) };
    });
    return (await this.lists('structure', inputs, floor))?.map((rows) => rows.sort(byNameThenId));
  }

  async variablesByOwners(owners: readonly OwnerKey[], floor: number) {
    const inputs = owners.map((o) => {
      const scope = RedisReadModel.scope(o);
      return { scope, list: this.keys.list('state_variable', 'o', scope, o.ownerId) };
    });
    const rows = await this.lists('state_variable', inputs, floor);
    return rows?.map((list, i) =>
      list.filter((v) => v.ownerType === owners[i]!.ownerType).sort((a, b) => bytewise(a.key, b.key)),
    );
  }

  /**
   * Pages of a paginated list (lists.ts), each exactly as Postgres answers it (redis-lists.ts), from one script
   * for the whole batch; a query Redis does not answer says why (its list, filter or cursor, or its size).
   */
  async listPages<L extends ListName>(
    name: L,
    queries: readonly PageQuery[],
    floor: number,
  ): Promise<(Page<ListRow<L>> | Unserved)[] | undefined> {
    const rows = await this.listRows(name, queries, floor);
    const { map } = READERS[LISTS[name].table] as unknown as RowReader<ListRow<L>>;
    return rows?.map((sorted, i) => {
      if (typeof sorted === 'string') return sorted;
      const page = cutPage(sorted, queries[i]!);
      return { edges: page.edges.map((e) => ({ row: map(e.row), key: e.key })), hasNextPage: page.hasNextPage };
    });
  }

  /** How many rows each query's list holds with its filters, as `listPages` would walk them. */
  async listCounts(
    name: ListName,
    queries: readonly ListQuery[],
    floor: number,
  ): Promise<(number | Unserved)[] | undefined> {
    return (await this.listRows(name, queries, floor))?.map((sorted) =>
      typeof sorted === 'string' ? sorted : sorted.length,
    );
  }

  /** Each query's rows after its filters, in list order; one READ (mode p) for all the queries Redis can answer. */
  private async listRows(
    name: ListName,
    queries: readonly (ListQuery & { after?: readonly string[] | null })[],
    floor: number,
  ): Promise<({ row: DbRow; key: string[] }[] | Unserved)[] | undefined> {
    // A bound of 0 turns Redis pages off.
    const reads = queries.map((q) => (this.listMaxMembers > 0 ? listRead(name, q) : ('not-served' as const)));
    const servable = reads.filter((r): r is ListRead => typeof r !== 'string');
    if (servable.length === 0) return reads as Unserved[];
    const columns = DOC_COLUMNS[LISTS[name].table];
    const reply = await this.client.read([
      this.base,
      floor,
      'p',
      this.listMaxMembers,
      columns.join('\t'),
      JSON.stringify(servable.flatMap((r) => r.args)),
    ]);
    if (reply[0] !== 1) return undefined;
    const lists = JSON.parse(reply[1] as string) as (DbRow[] | -1)[];
    let j = 0;
    return reads.map((r) => {
      if (typeof r === 'string') return r;
      const got = lists[j++]!;
      if (got === -1) return 'too-large';
      return sortRows(
        name,
        got.filter((row) => row.deleted !== true && r.keep(row)),
      );
    });
  }
}
