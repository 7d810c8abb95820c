import type { AbstractSqlConnection, Transaction } from '@mikro-orm/postgresql';

/** A SQL statement with `?` placeholders, one per parameter. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * Raw SQL over MikroORM's connection, inside a transaction or not. The read model and the projector write
 * set-based SQL (`unnest`, `= ANY`, `ON CONFLICT`) that the entity manager cannot express, so they go through
 * `connection.execute`, which owns pooling, transactions and query logging.
 */
export interface Sql {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it affected. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

export function createSql(connection: AbstractSqlConnection, ctx?: Transaction): Sql {
  return {
    all: <T>(sql: string, params: readonly unknown[] = []) =>
      connection.execute<T[] & Record<string, unknown>[]>(sql, params, 'all', ctx) as Promise<T[]>,
    run: async (sql: string, params: readonly unknown[] = []) => {
      const res = await connection.execute<{ affectedRows: number }>(sql, params, 'run', ctx);
      return res.affectedRows;
    },
  };
}

/**
 * A Postgres array literal (`{"a",NULL}`) for one `?::type[]` parameter. MikroORM inlines parameters into the
 * SQL text and renders a JS array as a comma list, which has no spelling for NULL; one literal string does.
 * Elements are quoted and escaped, so any text survives; each is parsed by the element type's input function.
 */
export function pgArray(values: readonly unknown[]): string {
  const element = (v: unknown) =>
    v === null || v === undefined ? 'NULL' : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${values.map(element).join(',')}}`;
}
