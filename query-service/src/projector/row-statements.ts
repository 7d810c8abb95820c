import { pgArray, type Statement } from '../read-model/sql.js';
import type { ColumnType } from '../read-model/columns.js';
import { CHECKPOINT_TABLE, PARKED_EVENT_TABLE, TABLES, type TableName } from '../read-model/tables.js';
import type { MergedRow } from './write-set.js';

const ARRAY_TYPE: Record<ColumnType, string> = {
  text: 'text[]',
  int: 'int[]',
  bigint: 'bigint[]',
  bool: 'bool[]',
  jsonb: 'jsonb[]',
  timestamptz: 'timestamptz[]',
  // GeoJSON text; converted per row by `columnExpression`.
  geometry: 'text[]',
};

/** Identifiers come from the table declarations and a validated schema name, never from event data. */
export const quote = (identifier: string): string => `"${identifier}"`;

export function tableRef(
  schema: string,
  table: TableName | typeof CHECKPOINT_TABLE.name | typeof PARKED_EVENT_TABLE.name,
): string {
  return `${quote(schema)}.${quote(table)}`;
}

function encode(type: ColumnType, value: unknown): unknown {
  // JSON columns always hold JSON: a JSON `null` is the text 'null', never SQL NULL.
  if (type === 'jsonb') return JSON.stringify(value ?? null);
  if (type === 'geometry') return value == null ? null : JSON.stringify(value);
  return value ?? null;
}

/** The SQL value of column `c` of the unnested row `v`. */
function columnExpression(type: ColumnType, column: string): string {
  return type === 'geometry' ? `ST_SetSRID(ST_GeomFromGeoJSON(v.${quote(column)}), 4326)` : `v.${quote(column)}`;
}

interface Unnest {
  /** `unnest(?::t[], ...) AS v(c, ...)` */
  from: string;
  params: unknown[];
}

/** One array parameter per column, unnested into rows: a single statement for any number of rows. */
function unnest(columns: readonly { name: string; type: ColumnType }[], rows: readonly MergedRow[]): Unnest {
  const params = columns.map(({ name, type }) =>
    pgArray(
      rows.map((row) =>
        name === 'last_seq' ? row.seq : encode(type, name in row.key ? row.key[name] : row.values[name]),
      ),
    ),
  );
  const arrays = columns.map(({ type }) => `?::${ARRAY_TYPE[type]}`).join(', ');
  return { from: `unnest(${arrays}) AS v(${columns.map((c) => quote(c.name)).join(', ')})`, params };
}

type NamedColumn = { name: string; type: ColumnType };

const named = (columns: Record<string, { type: ColumnType }>): NamedColumn[] =>
  Object.entries(columns).map(([name, c]) => ({ name, type: c.type }));

/**
 * The sequence guard of a write: `<` (the projector: a row that already reflects this sequence is left alone), or
 * `<=` (`cm replay --to`: a row whose last write came from the replayed events is rewritten, a later one is not).
 */
export type SeqGuard = '<' | '<=';

/**
 * `INSERT ... ON CONFLICT DO UPDATE ... WHERE t.last_seq < EXCLUDED.last_seq`: creates the rows, or overwrites
 * them only if they do not already reflect this sequence. The guard is what makes redelivery a no-op.
 */
export function upsertStatement(
  schema: string,
  table: TableName,
  rows: readonly MergedRow[],
  guard: SeqGuard = '<',
): Statement {
  const spec = TABLES[table];
  const keys = named(spec.key);
  const values = named(spec.values);
  const columns = [...keys, ...values, { name: 'last_seq', type: 'bigint' as const }];
  const { from, params } = unnest(columns, rows);
  const select = columns.map((c) => columnExpression(c.type, c.name)).join(', ');
  const updates = [...values.map((c) => c.name), 'last_seq', 'updated_at']
    .map((c) => `${quote(c)} = EXCLUDED.${quote(c)}`)
    .join(', ');
  const sql =
    `INSERT INTO ${tableRef(schema, table)} AS t (${[...columns.map((c) => quote(c.name)), quote('updated_at')].join(', ')}) ` +
    `SELECT ${select}, now() FROM ${from} ` +
    `ON CONFLICT (${keys.map((c) => quote(c.name)).join(', ')}) DO UPDATE SET ${updates} WHERE t.last_seq ${guard} EXCLUDED.last_seq`;
  return { sql, params };
}

/** `UPDATE ... FROM unnest(...)` of some columns, under the same guard; a missing row is left missing. */
export function patchStatement(
  schema: string,
  table: TableName,
  columnNames: readonly string[],
  rows: readonly MergedRow[],
  guard: SeqGuard = '<',
): Statement {
  const spec = TABLES[table];
  const declared = spec.values as Record<string, { type: ColumnType }>;
  const values = columnNames.map((name) => {
    const type = declared[name]?.type;
    if (!type) throw new Error(`unknown column ${table}.${name}`);
    return { name, type };
  });
  const keys = named(spec.key);
  const columns = [...keys, ...values, { name: 'last_seq', type: 'bigint' as const }];
  const { from, params } = unnest(columns, rows);
  const sets = [
    ...values.map((c) => `${quote(c.name)} = ${columnExpression(c.type, c.name)}`),
    'last_seq = v.last_seq',
    'updated_at = now()',
  ];
  const match = keys.map(({ name }) => `t.${quote(name)} = v.${quote(name)}`).join(' AND ');
  const sql = `UPDATE ${tableRef(schema, table)} AS t SET ${sets.join(', ')} FROM ${from} WHERE ${match} AND t.last_seq ${guard} v.last_seq`;
  return { sql, params };
}

/**
 * The stored rows of `table` with these keys, each as one JSON object (`row`, geometry as GeoJSON, without
 * `updated_at`), locked until the transaction ends when `lock`: what `cm replay --into postgres` compares.
 */
export function keyedRowsStatement(
  schema: string,
  table: TableName,
  keys: readonly Record<string, unknown>[],
  lock: boolean,
): Statement {
  const keyColumns = named(TABLES[table].key);
  const params = keyColumns.map(({ name, type }) => pgArray(keys.map((k) => encode(type, k[name]))));
  const arrays = keyColumns.map(({ type }) => `?::${ARRAY_TYPE[type]}`).join(', ');
  const match = keyColumns.map(({ name }) => `t.${quote(name)} = v.${quote(name)}`).join(' AND ');
  const sql =
    `SELECT to_jsonb(t) - 'updated_at' AS row FROM ${tableRef(schema, table)} AS t ` +
    `JOIN unnest(${arrays}) AS v(${keyColumns.map((c) => quote(c.name)).join(', ')}) ON ${match}${lock ? ' FOR UPDATE OF t' : ''}`;
  return { sql, params };
}
