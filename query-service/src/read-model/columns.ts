/*
 * A small typed column builder: a table is declared once (tables.ts) as columns with a SQL type, a nullability
 * and a TypeScript value type, and everything else is derived from that declaration: the projection's write
 * types and statements, the read model's select lists, row mappers and row types, and the schema test that
 * holds the declaration to the migrated database (docs/read-model.md).
 */

/** SQL types of columns; they decide how the writer encodes a value, how a reader selects and decodes it. */
export type ColumnType = 'text' | 'int' | 'bigint' | 'bool' | 'jsonb' | 'timestamptz' | 'geometry';

/** One column. `V` is its TypeScript value type as written and as read (`null` included when nullable). */
export interface Column<V = unknown> {
  readonly type: ColumnType;
  readonly nullable: boolean;
  /** Phantom: carries `V` for the derived types; never set. */
  readonly value?: V;
}

const column = <V>(type: ColumnType): Column<V> => ({ type, nullable: false });

export const text = <V extends string = string>() => column<V>('text');
export const int = () => column<number>('int');
/** Sequences: `bigint` in SQL, far below 2^53, so a JS number holds them exactly. */
export const bigint = () => column<number>('bigint');
export const bool = () => column<boolean>('bool');
/** JSON text in and out; a JSON `null` is stored as JSON, never as SQL NULL. */
export const jsonb = <V = unknown>() => column<V>('jsonb');
/** ISO-8601 in, ISO-8601 UTC with milliseconds out. */
export const timestamptz = () => column<string>('timestamptz');
/** GeoJSON in and out, SRID 4326. */
export const geometry = <V>() => column<V>('geometry');

/** The same column, NULL allowed. */
export const nullable = <V>(c: Column<V>): Column<V | null> => ({ type: c.type, nullable: true });

export type Columns = Readonly<Record<string, Column>>;

/** The value object of some columns in SQL spelling (`owner_id: string`). */
export type ValuesOfColumns<C extends Columns> = { -readonly [K in keyof C]: C[K] extends Column<infer V> ? V : never };

/** `owner_id` → `ownerId`. */
type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

export function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `ownerId` → `owner_id`. */
export type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}`
  : S;

const snakeNames = new Map<string, string>();

export function snake(name: string): string {
  let out = snakeNames.get(name);
  if (out === undefined) {
    out = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    snakeNames.set(name, out);
  }
  return out;
}

/** The value object of some columns in domain spelling (`ownerId: string`). */
export type CamelValues<C extends Columns> = {
  -readonly [K in keyof C & string as Camel<K>]: C[K] extends Column<infer V> ? V : never;
};

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
