import type { Geometry, OwnerType, Role, VariableValue, WorldEventEffect } from '@cm/contracts';
import {
  bigint,
  bool,
  geometry,
  int,
  jsonb,
  nullable,
  text,
  timestamptz,
  type CamelValues,
  type Column,
  type Columns,
  type Simplify,
  type ValuesOfColumns,
} from './columns.js';

/*
 * The read model's tables, each declared once (docs/read-model.md). The projection's write types and
 * statements, the fork copy, the read model's select lists, row mappers and row types all derive from these
 * declarations; `tables.int.spec.ts` holds them to the database the migrations build, column by column.
 * A new column is a migration and a line here, beside the event field that fills it and the GraphQL field that
 * shows it.
 */

/** A table as the schema test and the statements see it: its columns in three groups, in SQL order. */
export interface TableDeclaration<K extends Columns = Columns, V extends Columns = Columns> {
  readonly name: string;
  /** Primary key columns, in index order. */
  readonly key: K;
  /** Columns the projection writes (`deleted` included). */
  readonly values: V;
  /** Columns the writer maintains itself, never a projection: `last_seq`, `updated_at`. */
  readonly system: Columns;
}

/** A row as the read model answers it, in domain spelling, before a table's own `read` reshapes it. */
type ReadRow<K extends Columns, V extends Columns> = Simplify<
  CamelValues<K> & CamelValues<Omit<V, 'deleted'>> & { seq: number }
>;

/** A table of the projection: every row keeps `last_seq` and `updated_at`, and deletion leaves a tombstone. */
interface EntityTable<K extends Columns, V extends Columns, R> extends TableDeclaration<K, V> {
  /** Keyed by `(campaign_id, branch_id, ...)`: copied into a branch when it is forked. */
  readonly branchScoped: boolean;
  /** Reshapes the read row where the domain spells it differently from the columns (`{ type, value }`). */
  readonly read: (row: ReadRow<K, V>) => R;
}

const tombstone = { deleted: bool() } as const;
const guard = { last_seq: bigint(), updated_at: timestamptz() } as const;

function entityTable<K extends Columns, V extends Columns, R = ReadRow<K, V & typeof tombstone>>(
  key: K,
  values: V,
  read?: (row: ReadRow<K, V & typeof tombstone>) => R,
): Omit<EntityTable<K, V & typeof tombstone, R>, 'name'> {
  const keys = Object.keys(key);
  return {
    key,
    values: { ...values, ...tombstone },
    system: guard,
    branchScoped: keys[0] === 'campaign_id' && keys[1] === 'branch_id',
    read: read ?? ((row) => row as unknown as R),
  };
}

/** Key columns of one entity of a campaign branch (kingdom, location, ...). */
const entityKey = { campaign_id: text(), branch_id: text(), id: text() } as const;

/** Key columns of a branch-scoped entity row in SQL spelling, as a projection writes them. */
export type EntityKeyColumns = ValuesOfColumns<typeof entityKey>;

/** Names each table after its property, so the name is spelled once. */
type Named<T> = { [N in keyof T & string]: T[N] & { name: N } };

// The constraint leaves `read` out: as a contextual type it would infer every row type as `unknown`.
function named<T extends Record<string, Pick<TableDeclaration, 'key' | 'values'>>>(tables: T): Named<T> {
  return Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, { ...table, name }])) as Named<T>;
}

/** Every table the projection writes. Column order here is the order of the statements' columns. */
export const TABLES = named({
  campaign: entityTable(
    { id: text() },
    { name: text(), description: nullable(text()), owner_id: text(), archived: bool() },
  ),
  campaign_member: entityTable({ campaign_id: text(), user_id: text() }, { role: text<Role>() }),
  branch: entityTable(
    { campaign_id: text(), id: text() },
    // The row `main` is written when the campaign is created; forks carry where they came from.
    { name: text(), parent_branch_id: nullable(text()), forked_at_seq: nullable(bigint()) },
  ),
  kingdom: entityTable(entityKey, { name: text() }),
  location: entityTable(entityKey, { name: text(), geometry: geometry<Geometry>() }),
  settlement: entityTable(entityKey, { kingdom_id: text(), location_id: text(), name: text(), level: int() }),
  structure: entityTable(entityKey, {
    settlement_id: text(),
    name: text(),
    structure_type: text(),
    level: int(),
    condition: int(),
  }),
  state_variable: entityTable(
    { campaign_id: text(), branch_id: text(), owner_type: text<OwnerType>(), owner_id: text(), key: text() },
    { value_type: text<VariableValue['type']>(), value: jsonb() },
    // Read back as the `{ type, value }` the command carried.
    ({ valueType, value, ...row }) => ({ ...row, value: { type: valueType, value } as VariableValue }),
  ),
  field_condition: entityTable(entityKey, {
    entity_type: text<OwnerType>(),
    entity_id: nullable(text()),
    field: text(),
    expression: jsonb(),
    priority: int(),
    active: bool(),
  }),
  world_event: entityTable(entityKey, {
    name: text(),
    description: nullable(text()),
    status: text<'scheduled' | 'active' | 'expired' | 'resolved'>(),
    scheduled_at: timestamptz(),
    expires_at: nullable(timestamptz()),
    effects: jsonb<WorldEventEffect[]>(),
    outcome: nullable(text()),
  }),
});

/** Where each projection's checkpoint stands (written by the projection writer, read by `ReadModel.checkpoint`). */
export const CHECKPOINT_TABLE = {
  name: 'projection_checkpoint',
  key: { name: text() },
  values: { seq: bigint() },
  system: { updated_at: timestamptz() },
} as const satisfies TableDeclaration;

/**
 * Commits a projection parked instead of applying (poison events and the later commits of their aggregates):
 * `status` is `parked` until `cm parked retry` applies it (the row goes) or `cm parked skip` marks it `skipped`
 * with the operator's `reason`. `aggregate` is `entityType:entityId@campaignId/branchId`.
 */
export const PARKED_EVENT_TABLE = {
  name: 'parked_event',
  key: { projection: text(), seq: bigint() },
  values: {
    aggregate: text(),
    event_types: text(),
    error: text(),
    attempts: int(),
    status: text<'parked' | 'skipped'>(),
    reason: nullable(text()),
  },
  system: { parked_at: timestamptz(), updated_at: timestamptz() },
} as const satisfies TableDeclaration;

export type TableName = keyof typeof TABLES;
type Declared<T extends TableName> = (typeof TABLES)[T];

/** Key columns of a table's row, in SQL spelling. */
export type KeyOf<T extends TableName> = ValuesOfColumns<Declared<T>['key']>;
/** Value columns of a table's row as the projection writes them, in SQL spelling. */
export type ValuesOf<T extends TableName> = ValuesOfColumns<Declared<T>['values']>;
/** A row as the read model returns it: domain spelling, tombstones never, `seq` for `last_seq`. */
export type RowOf<T extends TableName> = ReturnType<Declared<T>['read']>;

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** The tables a fork copies: every one keyed by branch. */
export const BRANCH_SCOPED_TABLES = TABLE_NAMES.filter((t) => TABLES[t].branchScoped);

/** Every table of the read model: the projection's, the checkpoint's and the parked events'. */
export const ALL_TABLES: readonly TableDeclaration[] = [
  ...TABLE_NAMES.map((t) => TABLES[t]),
  CHECKPOINT_TABLE,
  PARKED_EVENT_TABLE,
];

/** Every column of a table, key first: the order of a copied row and of the schema test. */
export function allColumns(table: TableDeclaration): [name: string, column: Column][] {
  return [...Object.entries(table.key), ...Object.entries(table.values), ...Object.entries(table.system)];
}
