import type { NatsNames } from '@cm/contracts';
import type { Logger, Nats } from '@cm/platform';
import type { QueryConfig } from '../config.js';
import { openDatabase, type Database } from '../read-model/database.js';
import { jetStreamHistory } from './event-history.js';
import { POSTGRES_PROJECTION, ProjectionWriter } from './projection-writer.js';
import { projectStream, type BatchWriter } from './rebuild.js';

/** What a rebuild reports as it goes: one line of JSON each on the rebuild process's stdout. */
export type RebuildProgress =
  | { phase: 'start'; shadow: string; live: string; resumedAt: number; target: number }
  | { phase: 'project'; checkpoint: number; target: number; events: number; elapsedMs: number }
  | { phase: 'catch-up'; checkpoint: number; live: number; last: number }
  | {
      phase: 'swapped';
      live: string;
      old: string;
      checkpoint: number;
      liveCheckpoint: number;
      events: number;
      elapsedMs: number;
      rows: Record<string, number>;
    };

export interface ShadowRebuildOptions {
  config: QueryConfig;
  logger: Logger;
  nats: Nats;
  names: NatsNames;
  /** Drop an earlier, interrupted shadow instead of resuming it. */
  restart?: boolean;
  batchSize?: number;
  report: (progress: RebuildProgress) => void;
}

/** While the shadow is this far behind the live checkpoint, it catches up without holding anything up. */
const SWAP_WITHIN_EVENTS = 2000;
const LOCK_TIMEOUT = '10s';
/**
 * Events per shadow transaction unless told otherwise: a rebuild has no reader waiting on its next checkpoint, so
 * it takes larger batches than the live projector (fewer statements and round trips per event).
 */
const REBUILD_MIN_BATCH = 2000;

/** The shadow schema of a rebuild of `live`: one name, so an interrupted rebuild is found and resumed. */
export const shadowSchema = (live: string): string => `${live}_rebuild`.slice(0, 63);
/** Where the previous generation goes at the swap; kept until `cm rebuild --drop-old`. */
export const oldSchemaPrefix = (live: string): string => `${live}_old_`;

/**
 * What a rebuild projects into and then swaps in: a shadow schema of the Postgres read model (below), a shadow
 * generation of the Redis one (`redis-model/redis-rebuild.ts`). The shadow commits its batches with its own
 * checkpoint like any projection, so a rebuild killed half way resumes from there on the next run.
 */
export interface ShadowTarget {
  /** The live model's and the shadow's names, as the progress reports them. */
  readonly live: string;
  readonly shadow: string;
  readonly writer: BatchWriter<{ checkpoint: number }>;
  /** The live projection's checkpoint now. */
  liveCheckpoint(): Promise<number>;
  /**
   * Brings the shadow at least to the live checkpoint (through `project`) and makes it the live model in one
   * atomic step; resolves to the name of the model now live, the name the previous generation is kept under and
   * the live checkpoint replaced.
   */
  swap(
    project: (upto: number) => Promise<void>,
    shadowCheckpoint: () => number,
  ): Promise<{ live: string; old: string; liveCheckpoint: number }>;
  /** Rows (Postgres) or documents (Redis) per table of the model now live. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The name an old generation is kept under: `<prefix><UTC time to the second>`. */
export const generationStamp = (): string =>
  new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);

/** The batch size of a rebuild: as asked, else the projector's but at least REBUILD_MIN_BATCH. */
export const rebuildBatchSize = (asked: number | undefined, projectorBatch: number): number =>
  asked ?? Math.max(REBUILD_MIN_BATCH, projectorBatch);

/**
 * The rebuild both models share (DESIGN §4, issue 13): project the stream from the shadow's checkpoint (1 when
 * new) up to the stream's head, catch up with what was written meanwhile until the shadow is within
 * SWAP_WITHIN_EVENTS of the live projection, then let the target swap it in. Reports each phase.
 */
export async function runShadowRebuild(
  target: ShadowTarget,
  opts: Pick<ShadowRebuildOptions, 'nats' | 'names' | 'report'> & { batchSize: number },
): Promise<RebuildProgress & { phase: 'swapped' }> {
  const started = Date.now();
  const resumedAt = await target.writer.checkpoint();
  let goal = await lastSeq(opts);
  opts.report({ phase: 'start', shadow: target.shadow, live: target.live, resumedAt, target: goal });
  let events = 0;
  let checkpoint = resumedAt;
  const project = async (upto: number) => {
    await projectStream(opts.nats, opts.names, target.writer, {
      uptoSeq: upto,
      batchSize: opts.batchSize,
      onBatch: (result) => {
        events += result.checkpoint - checkpoint;
        checkpoint = result.checkpoint;
        opts.report({ phase: 'project', checkpoint, target: goal, events, elapsedMs: Date.now() - started });
      },
    });
  };
  await project(goal);
  // Catch up with what was written meanwhile until the shadow is close enough to swap without a long wait.
  for (;;) {
    const liveCheckpoint = await target.liveCheckpoint();
    goal = await lastSeq(opts);
    opts.report({ phase: 'catch-up', checkpoint, live: liveCheckpoint, last: goal });
    if (liveCheckpoint - checkpoint <= SWAP_WITHIN_EVENTS) break;
    await project(goal);
  }
  const { live, old, liveCheckpoint } = await target.swap(project, () => checkpoint);
  return {
    phase: 'swapped',
    live,
    old,
    checkpoint,
    liveCheckpoint,
    events,
    elapsedMs: Date.now() - started,
    rows: await target.counts(),
  };
}

/**
 * Rebuilds the Postgres read model from sequence 1 into a shadow schema while the live one keeps serving, then
 * swaps the two in one transaction.
 *
 * The swap renames schemas: `live` becomes `live_old_<time>`, the shadow becomes `live`. Every reader and the
 * projector name their tables `"<schema>".<table>` in each statement, so the next statement after the commit
 * reads the new generation, a statement already running finishes on the old one, and nothing needs telling or
 * restarting. (A `search_path` or a pointer table would need every pooled connection, or every query, to follow
 * it; the rename is one catalogue change, atomic, and what the code already names.) The swap holds the live
 * checkpoint row locked, so the live projector cannot commit past the sequence the shadow has reached; its next
 * batch then finds the new generation's checkpoint where it did not expect it (CheckpointMovedError), gives up
 * its lease and resumes from that checkpoint: no event is lost or applied twice.
 *
 * An interrupted rebuild resumes from the shadow's checkpoint on the next run (or starts over with `restart`).
 */
export async function rebuildIntoShadow(opts: ShadowRebuildOptions): Promise<RebuildProgress & { phase: 'swapped' }> {
  const target = await openPostgresShadow(opts);
  try {
    return await runShadowRebuild(target, {
      ...opts,
      batchSize: rebuildBatchSize(opts.batchSize, opts.config.PROJECTOR_BATCH_SIZE),
    });
  } finally {
    await target.close();
  }
}

async function openPostgresShadow(opts: ShadowRebuildOptions): Promise<ShadowTarget> {
  const live = opts.config.DATABASE_SCHEMA;
  const shadow = shadowSchema(live);
  const liveDb = await openDatabase(opts.config, opts.logger);
  let shadowDb: Database | undefined;
  try {
    await liveDb.migrateUp();
    if (opts.restart) await liveDb.sql.run(`DROP SCHEMA IF EXISTS "${shadow}" CASCADE`);
    shadowDb = await openDatabase({ ...opts.config, DATABASE_SCHEMA: shadow }, opts.logger);
    await shadowDb.migrateUp();
  } catch (e) {
    await shadowDb?.close();
    await liveDb.close();
    throw e;
  }
  return {
    live,
    shadow,
    writer: new ProjectionWriter(shadowDb, jetStreamHistory(opts.nats, opts.names), POSTGRES_PROJECTION),
    liveCheckpoint: () => liveDb.readModel.checkpoint(POSTGRES_PROJECTION),
    // The live checkpoint row locked (the live projector waits), the shadow brought at least to it, then the two
    // renames, committed together.
    async swap(project, shadowCheckpoint) {
      const old = `${oldSchemaPrefix(live)}${generationStamp()}`;
      let liveCheckpoint = 0;
      await liveDb.transaction(async (sql) => {
        await sql.run(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        const rows = await sql.all<{ seq: string }>(
          `SELECT seq FROM "${live}".projection_checkpoint WHERE name = ? FOR UPDATE`,
          [POSTGRES_PROJECTION],
        );
        liveCheckpoint = Number(rows[0]?.seq ?? 0);
        if (shadowCheckpoint() < liveCheckpoint) await project(liveCheckpoint);
        // The shadow's pool names the schema it is about to lose; nothing of it may outlive the rename.
        await shadowDb!.close();
        shadowDb = undefined;
        await sql.run(`ALTER SCHEMA "${live}" RENAME TO "${old}"`);
        await sql.run(`ALTER SCHEMA "${shadow}" RENAME TO "${live}"`);
      });
      return { live, old, liveCheckpoint };
    },
    counts: () => tableCounts(liveDb, live),
    async close() {
      await shadowDb?.close();
      await liveDb.close();
    },
  };
}

/** Drops the generations earlier swaps kept; resolves to their names. */
export async function dropOldGenerations(config: QueryConfig, logger: Logger): Promise<string[]> {
  const db = await openDatabase(config, logger);
  try {
    const prefix = oldSchemaPrefix(config.DATABASE_SCHEMA);
    const rows = await db.sql.all<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?) ORDER BY nspname`,
      [prefix],
    );
    for (const { nspname } of rows) await db.sql.run(`DROP SCHEMA "${nspname}" CASCADE`);
    return rows.map((r) => r.nspname);
  } finally {
    await db.close();
  }
}

export async function lastSeq(opts: Pick<ShadowRebuildOptions, 'nats' | 'names'>): Promise<number> {
  return (await opts.nats.jsm.streams.info(opts.names.eventStream)).state.last_seq;
}

async function tableCounts(db: Database, schema: string): Promise<Record<string, number>> {
  const rows = await db.sql.all<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind = 'r' AND c.relname NOT LIKE 'mikro_orm%' ORDER BY 1`,
    [schema],
  );
  const out: Record<string, number> = {};
  for (const { relname } of rows)
    out[relname] = Number(
      (await db.sql.all<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${relname}"`))[0]!.n,
    );
  return out;
}
