import { MikroORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '@cm/platform';
import type { QueryConfig } from '../config.js';
import { readMigrations } from './migrations.js';
import { PostgresReadModel } from './postgres-read-model.js';
import type { ReadModel } from './read-model.port.js';
import { createSql, type Sql } from './sql.js';

/** The Postgres read model of one process: the ORM that owns the pool, the reads, and raw SQL for the projector. */
export interface Database {
  orm: MikroORM;
  readModel: ReadModel;
  /** The Postgres schema every table lives in (`DATABASE_SCHEMA`). */
  schema: string;
  /** Statements outside a transaction. */
  sql: Sql;
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Creates the schema if missing and applies pending migrations; safe to run from several processes at once. */
  migrateUp(): Promise<void>;
  /** Fails unless Postgres answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Postgres' `statement_timeout` on every connection of this pool (the projector's: `PROJECTION_STATEMENT_TIMEOUT_MS`). */
  statementTimeoutMs?: number;
}

/**
 * Connects to `DATABASE_URL` with MikroORM. Nothing is created until `migrateUp`.
 */
export async function openDatabase(config: QueryConfig, logger: Logger, opts: DatabaseOptions = {}): Promise<Database> {
  const schema = config.DATABASE_SCHEMA;
  const orm = await MikroORM.init({
    clientUrl: config.DATABASE_URL,
    schema,
    // No entity metadata: the tables are declared once in tables.ts, reads and writes are set-based SQL, and
    // MikroORM keeps the connection, transactions and migrations (docs/read-model.md).
    entities: [],
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    // migrateUp holds a transaction while the migrator uses a second connection to prepare its own table.
    pool: { min: 0, max: Math.max(2, config.DATABASE_POOL_MAX) },
    ...(opts.statementTimeoutMs === undefined ? {} : { driverOptions: { statement_timeout: opts.statementTimeoutMs } }),
    migrations: {
      migrationsList: await readMigrations(),
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      silent: true,
    },
    debug: false,
    colors: false,
    logger: (message) => logger.debug({ orm: message }, 'mikro-orm'),
  });
  const connection = orm.em.getConnection();
  const sql = createSql(connection);

  return {
    orm,
    schema,
    sql,
    readModel: new PostgresReadModel(sql, schema),
    transaction: (work) => connection.transactional((trx) => work(createSql(connection, trx))),
    async migrateUp() {
      await connection.transactional(async (trx) => {
        // Several replicas start at once; the transaction-scoped lock makes the others wait, then find nothing to do.
        await createSql(connection, trx).run('select pg_advisory_xact_lock(hashtext(?))', [`cm-read-model:${schema}`]);
        // Committed at once, outside the lock's transaction: the migrator prepares its bookkeeping table in this
        // schema on a connection of its own, which would otherwise wait for our uncommitted schema forever.
        await sql.run(`create schema if not exists "${schema}"`);
        const applied = await orm.migrator.up({ transaction: trx });
        if (applied.length > 0) logger.info({ schema, migrations: applied.map((m) => m.name) }, 'read model migrated');
      });
    },
    async ping() {
      await sql.all('select 1');
    },
    close: () => orm.close(),
  };
}
