import { camel, type Column } from './columns.js';
import { TABLE_NAMES, TABLES, type RowOf, type TableName } from './tables.js';

/** A row as the driver returns it: `bigint` arrives as a string, `json`/`jsonb` already parsed. */
export type DbRow = Record<string, unknown>;

/** Timestamps as ISO-8601 UTC with milliseconds, formatted by Postgres (MikroORM keeps timestamps as raw text). */
const isoTimestamp = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** How a column of the table aliased `t` is selected: geometry as GeoJSON, timestamps as ISO text. */
function selectExpression(name: string, c: Column): string {
  if (c.type === 'geometry') return `ST_AsGeoJSON(t.${name})::json AS ${name}`;
  if (c.type === 'timestamptz') return `${isoTimestamp(`t.${name}`)} AS ${name}`;
  return `t.${name}`;
}

/** How a selected value becomes a JS value; numbers come as JS numbers (sequences stay far below 2^53). */
function decoder(c: Column): (v: unknown) => unknown {
  const decode =
    c.type === 'int' || c.type === 'bigint'
      ? Number
      : c.type === 'bool'
        ? Boolean
        : c.type === 'text' || c.type === 'timestamptz'
          ? String
          : (v: unknown) => v;
  return c.nullable ? (v) => (v === null || v === undefined ? null : decode(v)) : decode;
}

/** A table's select list (aliased `t`) and the mapper that reads exactly those columns. */
export interface RowReader<R> {
  select: string;
  map(r: DbRow): R;
}

function rowReader<T extends TableName>(table: T): RowReader<RowOf<T>> {
  const spec = TABLES[table];
  // Every key and value column but the tombstone flag (tombstones are filtered in SQL), then `last_seq` as `seq`.
  const columns = [...Object.entries(spec.key), ...Object.entries(spec.values)].filter(
    ([name]) => name !== 'deleted',
  ) as [string, Column][];
  const fields = columns.map(([name, c]) => ({ name, property: camel(name), decode: decoder(c) }));
  const read = spec.read as (row: Record<string, unknown>) => RowOf<T>;
  return {
    select: [...columns.map(([name, c]) => selectExpression(name, c)), 't.last_seq'].join(', '),
    map(r) {
      const row: Record<string, unknown> = {};
      for (const f of fields) row[f.property] = f.decode(r[f.name]);
      row.seq = Number(r.last_seq);
      return read(row);
    },
  };
}

/** One reader per table, derived from its declaration. */
export const READERS = Object.fromEntries(TABLE_NAMES.map((t) => [t, rowReader(t)])) as {
  readonly [T in TableName]: RowReader<RowOf<T>>;
};
