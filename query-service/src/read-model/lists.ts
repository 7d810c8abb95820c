import type { OwnerType } from '@cm/contracts';
import type { Scope } from './read-model.port.js';
import type { RowOf, TableName } from './tables.js';

/*
 * The paginated lists of the read model, each declared once: its table, the parent columns that select it, its
 * sort key and the filters it takes. The statements (postgres-lists.ts), the GraphQL connections and the indexes
 * (Migration20261129230000_list_indexes) follow from these declarations; `lists.int.spec.ts` holds every list to
 * an index with EXPLAIN.
 */

/** One column of a sort key: an expression over the table aliased `t`, its SQL type, and the value below all. */
interface SortColumn {
  expr: string;
  type: 'text' | 'int' | 'timestamptz';
  /** Sorts before every real value: the "after" of a first page, so every page is one index range scan. */
  floor: string;
}

const text = (column: string): SortColumn => ({ expr: `t.${column}`, type: 'text', floor: '' });
const byNameThenId = [text('name'), text('id')] as const;

/** Filters a list can take; each is absent (no filter) or a value. */
export interface ListFilter {
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  levelMin?: number;
  levelMax?: number;
  /** A structure's type. */
  type?: string;
  /** Only entities that own a state variable with this key. */
  hasVariable?: string;
  /** Field conditions: the entity type and entity they apply to. */
  entityType?: OwnerType;
  entityId?: string;
  /** World events: their status. */
  status?: string;
}

export type FilterName = keyof ListFilter;

/** How each filter reads as SQL over `t`, given its parameter `p` (text) and the list's owner type. */
export const FILTER_SQL: Record<FilterName, (p: string, ownerType: OwnerType | undefined) => string> = {
  // The pattern is built in JS with `%`, `_` and `\` escaped (see `containsPattern`).
  nameContains: (p) => `t.name ILIKE ${p}`,
  levelMin: (p) => `t.level >= ${p}::int`,
  levelMax: (p) => `t.level <= ${p}::int`,
  type: (p) => `t.structure_type = ${p}`,
  // The state variable's primary key (campaign, branch, owner type, owner, key) answers this lookup.
  hasVariable: (p, ownerType) =>
    `EXISTS (SELECT 1 FROM {state_variable} v WHERE v.campaign_id = t.campaign_id AND v.branch_id = t.branch_id ` +
    `AND v.owner_type = '${ownerType}' AND v.owner_id = t.id AND v.key = ${p} AND NOT v.deleted)`,
  entityType: (p) => `t.entity_type = ${p}`,
  entityId: (p) => `t.entity_id = ${p}`,
  status: (p) => `t.status = ${p}`,
};

/** `%` and `_` match themselves in a `contains` filter. */
export function containsPattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface ListDeclaration<T extends TableName = TableName> {
  table: T;
  /** Columns after the scope that must equal the parent's values, in order. */
  parent: readonly string[];
  /** The stable sort: ends in a unique column, so no two rows share a key. */
  order: readonly SortColumn[];
  filters: readonly FilterName[];
  /** The owner type of the listed rows, for `hasVariable`. */
  ownerType?: OwnerType;
  /**
   * The table's primary key, led by `(campaign_id, branch_id)`, serves the list: compare those columns. Otherwise
   * the list's index is led by the scope expression (Migration20261129230000_list_indexes).
   */
  byPrimaryKey?: true;
}

const list = <T extends TableName>(d: ListDeclaration<T>) => d;

export const LISTS = {
  kingdomsOfBranch: list({
    table: 'kingdom',
    parent: [],
    order: byNameThenId,
    filters: ['nameContains', 'hasVariable'],
    ownerType: 'kingdom',
  }),
  locationsOfBranch: list({
    table: 'location',
    parent: [],
    order: byNameThenId,
    filters: ['nameContains', 'hasVariable'],
    ownerType: 'location',
  }),
  settlementsOfBranch: list({
    table: 'settlement',
    parent: [],
    order: byNameThenId,
    filters: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
    ownerType: 'settlement',
  }),
  settlementsOfKingdom: list({
    table: 'settlement',
    parent: ['kingdom_id'],
    order: byNameThenId,
    filters: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
    ownerType: 'settlement',
  }),
  settlementsOfLocation: list({
    table: 'settlement',
    parent: ['location_id'],
    order: byNameThenId,
    filters: ['nameContains', 'levelMin', 'levelMax', 'hasVariable'],
    ownerType: 'settlement',
  }),
  structuresOfSettlement: list({
    table: 'structure',
    parent: ['settlement_id'],
    order: byNameThenId,
    filters: ['nameContains', 'levelMin', 'levelMax', 'type', 'hasVariable'],
    ownerType: 'structure',
  }),
  variablesOfOwner: list({
    table: 'state_variable',
    parent: ['owner_type', 'owner_id'],
    order: [text('key')],
    filters: [],
    byPrimaryKey: true,
  }),
  // Highest priority first: the key holds the negated priority so that every sort key ascends.
  fieldConditionsOfBranch: list({
    table: 'field_condition',
    parent: [],
    order: [{ expr: '(-t.priority)', type: 'int', floor: String(-(2 ** 31)) }, text('id')],
    filters: ['entityType', 'entityId'],
  }),
  worldEventsOfBranch: list({
    table: 'world_event',
    parent: [],
    order: [{ expr: 't.scheduled_at', type: 'timestamptz', floor: '-infinity' }, text('id')],
    filters: ['nameContains', 'status'],
  }),
} as const;

export type ListName = keyof typeof LISTS;
export type ListRow<L extends ListName> = RowOf<(typeof LISTS)[L]['table']>;

/** Which rows of a list: the parent (its values for the list's `parent` columns, in order) and the filters. */
export interface ListQuery extends Scope {
  parent?: readonly string[];
  filter?: ListFilter;
}

/** One page of a list: at most `first` rows after the sort key `after` (absent: from the start). */
export interface PageQuery extends ListQuery {
  first: number;
  after?: readonly string[] | null;
}

/** A row with its sort key (as text, the cursor's content). */
export interface Edge<R> {
  row: R;
  key: string[];
}

export interface Page<R> {
  edges: Edge<R>[];
  hasNextPage: boolean;
}
