import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNamespace } from '@cm/testkit';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import { nullable, text, type ColumnType } from './columns.js';
import type { Database } from './database.js';
import { readMigrations } from './migrations.js';
import type { Sql } from './sql.js';
import { ALL_TABLES, allColumns, TABLE_NAMES, TABLES, type TableDeclaration } from './tables.js';

/*
 * The table declarations (tables.ts) against the database the real migrations build in a fresh schema, column
 * by column and in both directions: a declared column the database lacks fails, and so does a database column
 * (or table) nobody declared.
 */

const ns = testNamespace();
const schema = `tables_${ns}`;
let db: Database;

/** How information_schema names each declared type (`udt_name`). */
const UDT: Record<ColumnType, string> = {
  text: 'text',
  int: 'int4',
  bigint: 'int8',
  bool: 'bool',
  jsonb: 'jsonb',
  timestamptz: 'timestamptz',
  geometry: 'geometry',
};

/** MikroORM's own bookkeeping, not part of the read model. */
const MIGRATIONS_TABLE = 'mikro_orm_migrations';

/** Every difference between the declarations and the schema, one line each; empty when they agree. */
async function schemaDifferences(sql: Sql, tables: readonly TableDeclaration[]): Promise<string[]> {
  const described = (name: string, type: string, isNullable: boolean) =>
    `${name} ${type}${isNullable ? ' null' : ' not null'}`;
  const differences: string[] = [];

  const columns = await sql.all<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
    'SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = ? AND table_name <> ?',
    [schema, MIGRATIONS_TABLE],
  );
  const actual = new Map<string, string>(
    columns.map((c) => [
      `${c.table_name}.${c.column_name}`,
      described(c.column_name, c.udt_name, c.is_nullable === 'YES'),
    ]),
  );
  const expected = new Map<string, string>(
    tables.flatMap((t) =>
      allColumns(t).map(([name, c]) => [`${t.name}.${name}`, described(name, UDT[c.type], c.nullable)] as const),
    ),
  );
  for (const [column, declared] of expected) {
    const found = actual.get(column);
    if (found === undefined) differences.push(`${column}: declared (${declared}), not in the database`);
    else if (found !== declared) differences.push(`${column}: declared ${declared}, the database has ${found}`);
  }
  for (const [column, found] of actual)
    if (!expected.has(column)) differences.push(`${column}: in the database (${found}), not declared`);

  const tableRows = await sql.all<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> ?",
    [schema, MIGRATIONS_TABLE],
  );
  const declaredTables = new Set(tables.map((t) => t.name));
  for (const { table_name } of tableRows)
    if (!declaredTables.has(table_name)) differences.push(`${table_name}: a table nobody declared`);

  const keys = await sql.all<{ table_name: string; columns: string }>(
    "SELECT tc.table_name, string_agg(k.column_name, ', ' ORDER BY k.ordinal_position) AS columns " +
      'FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage k ' +
      'ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name ' +
      "WHERE tc.table_schema = ? AND tc.constraint_type = 'PRIMARY KEY' GROUP BY tc.table_name",
    [schema],
  );
  const keyOf = new Map(keys.map((k) => [k.table_name, k.columns]));
  for (const t of tables) {
    const declared = Object.keys(t.key).join(', ');
    if (keyOf.get(t.name) !== declared)
      differences.push(
        `${t.name}: primary key declared (${declared}), the database has (${keyOf.get(t.name) ?? 'none'})`,
      );
  }

  // information_schema says only `geometry`; PostGIS knows the subtype and SRID the writer relies on.
  const geometries = await sql.all<{ f_table_name: string; f_geometry_column: string; type: string; srid: number }>(
    'SELECT f_table_name, f_geometry_column, type, srid FROM public.geometry_columns WHERE f_table_schema = ?',
    [schema],
  );
  const geometryOf = new Map(
    geometries.map((g) => [`${g.f_table_name}.${g.f_geometry_column}`, `geometry(${g.type}, ${g.srid})`]),
  );
  for (const t of tables) {
    for (const [name, c] of allColumns(t)) {
      const found = geometryOf.get(`${t.name}.${name}`);
      if (c.type === 'geometry' && found !== 'geometry(GEOMETRY, 4326)')
        differences.push(`${t.name}.${name}: ${found ?? 'no geometry'}, not geometry(GEOMETRY, 4326)`);
    }
  }
  return differences;
}

/** Runs `check` against a schema changed by `ddl`, then undoes the change (DDL is transactional in Postgres). */
async function withAlteredSchema<T>(ddl: string, check: (sql: Sql) => Promise<T>): Promise<T> {
  const undo = new Error('undo');
  let result: T | undefined;
  await db
    .transaction(async (sql) => {
      await sql.run(ddl);
      result = await check(sql);
      throw undo;
    })
    .catch((e: unknown) => {
      if (e !== undo) throw e;
    });
  return result as T;
}

beforeAll(async () => {
  db = await openTestDatabase(ns, schema);
});

afterAll(async () => {
  if (!db) return;
  await dropSchema(db.sql, schema);
  await db.close();
});

describe('migrations', () => {
  it('are every Migration file of ./migrations, applied in the order of their timestamps', async () => {
    const found = (await readMigrations()).map((m) => m.name);
    expect(found).toEqual([...found].sort());
    expect(found.slice(0, 3)).toEqual([
      'Migration20260101000000_read_model',
      'Migration20261123000000_drop_prefix_indexes',
      'Migration20261123100000_checkpoint_fence',
    ]);
    const applied = await db.sql.all<{ name: string }>(`SELECT name FROM "${schema}".${MIGRATIONS_TABLE} ORDER BY id`);
    expect(applied.map((m) => m.name)).toEqual(found);
  });
});

describe('table declarations', () => {
  it('match the migrated database column by column: name, type, nullability, primary key', async () => {
    expect(await schemaDifferences(db.sql, ALL_TABLES)).toEqual([]);
  });

  it('cover every column the migrations create, standard ones included', async () => {
    const columns = await db.sql.all<{ n: number }>(
      'SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = ? AND table_name <> ?',
      [schema, MIGRATIONS_TABLE],
    );
    expect(ALL_TABLES.flatMap((t) => allColumns(t))).toHaveLength(columns[0]!.n);
    for (const t of TABLE_NAMES)
      expect(
        allColumns(TABLES[t])
          .map(([name]) => name)
          .slice(-3),
      ).toEqual(['deleted', 'last_seq', 'updated_at']);
  });

  it('fail on a database column nobody declared', async () => {
    const differences = await withAlteredSchema(
      `ALTER TABLE "${schema}".kingdom ADD COLUMN undeclared_column text`,
      (sql) => schemaDifferences(sql, ALL_TABLES),
    );
    expect(differences).toEqual([
      'kingdom.undeclared_column: in the database (undeclared_column text null), not declared',
    ]);
  });

  it('fail on a declared column the database lacks, and on a nullability the database does not have', async () => {
    const kingdom = { ...TABLES.kingdom, values: { ...TABLES.kingdom.values, missing_column: nullable(text()) } };
    const location = { ...TABLES.location, values: { ...TABLES.location.values, name: nullable(text()) } };
    const declared = ALL_TABLES.map((t) => (t.name === 'kingdom' ? kingdom : t.name === 'location' ? location : t));
    expect(await schemaDifferences(db.sql, declared)).toEqual([
      'kingdom.missing_column: declared (missing_column text null), not in the database',
      'location.name: declared name text null, the database has name text not null',
    ]);
  });

  it('fail on a geometry of another subtype or SRID than the writer assumes', async () => {
    const ddl = `ALTER TABLE "${schema}".location ALTER COLUMN geometry TYPE geometry(Point, 3857)`;
    expect(await withAlteredSchema(ddl, (sql) => schemaDifferences(sql, ALL_TABLES))).toEqual([
      'location.geometry: geometry(POINT, 3857), not geometry(GEOMETRY, 4326)',
    ]);
  });

  it('fail on a table nobody declared', async () => {
    const differences = await withAlteredSchema(
      `CREATE TABLE "${schema}".undeclared_table (id text primary key)`,
      (sql) => schemaDifferences(sql, ALL_TABLES),
    );
    expect(differences).toEqual([
      'undeclared_table.id: in the database (id text not null), not declared',
      'undeclared_table: a table nobody declared',
    ]);
  });
});
