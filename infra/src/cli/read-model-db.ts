import pg from 'pg';
import { databaseUrl } from '../namespace-cleanup.js';
import { UsageError } from './command.js';

/** The read-model schema option: `--schema`, else $DATABASE_SCHEMA (as the query service reads it), else public. */
export function schemaOption(value: string | undefined): string {
  const schema = value ?? process.env.DATABASE_SCHEMA ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new UsageError(`--schema must be a lowercase SQL identifier, got ${JSON.stringify(schema)}`);
  return schema;
}

/** Runs `fn` with a connection to the read-model database, closed afterwards. */
export async function withReadModel<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(), application_name: 'cm-cli' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** What the read model says about its projections: checkpoints and parked counts, by projection name. */
export interface ProjectionState {
  checkpoints: Map<string, number>;
  parked: Map<string, number>;
}

/**
 * Checkpoints and parked counts of every projection keeping them in `schema`. An unreachable database or a schema
 * not migrated yet is no error for the lag report: it falls back to the consumers' ack floors.
 */
export async function readProjectionState(schema: string): Promise<ProjectionState | undefined> {
  try {
    return await withReadModel(async (client) => {
      const checkpoints = await client.query<{ name: string; seq: string }>(
        `SELECT name, seq FROM "${schema}".projection_checkpoint`,
      );
      const parked = await client
        .query<{ projection: string; n: string }>(
          `SELECT projection, count(*) AS n FROM "${schema}".parked_event WHERE status = 'parked' GROUP BY projection`,
        )
        .catch(() => ({ rows: [] as { projection: string; n: string }[] }));
      return {
        checkpoints: new Map(checkpoints.rows.map((r) => [r.name, Number(r.seq)])),
        parked: new Map(parked.rows.map((r) => [r.projection, Number(r.n)])),
      };
    });
  } catch {
    return undefined;
  }
}
