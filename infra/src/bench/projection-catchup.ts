import os from 'node:os';
import pg from 'pg';
import type { NatsNames } from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { databaseUrl } from '../namespace-cleanup.js';
import { cpuPerOperation, type CpuSnapshot } from './cpu.js';
import { waitForProjections } from './settle.js';
import { round } from './stats.js';

/** Rows per statement in the raw upsert: the projector's default batch (PROJECTOR_BATCH_SIZE). */
const RAW_BATCH = 500;

export interface RawUpsert {
  /** Rows written per second. */
  rate: number;
  rows: number;
  batches: number;
  seconds: number;
  cpu?: ReturnType<typeof cpuPerOperation>;
}

/**
 * The raw limit of the Postgres read model on this machine: new rows upserted in batches of 500 into a copy of
 * the kingdom table (same columns, key and indexes) with the projector's statement shape: one statement per
 * batch, the `INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE ... WHERE last_seq <` as a CTE beside
 * the checkpoint's fenced move, from one connection. What the projector does per batch, without NATS or decoding.
 */
export async function measureRawUpsert(
  schema: string,
  durationMs: number,
  log: (s: string) => void,
  cpu?: () => CpuSnapshot,
): Promise<RawUpsert> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  const s = `"${schema.replace(/"/g, '')}"`;
  const table = `${s}.bench_raw_kingdom`;
  const checkpoint = `${s}.bench_raw_checkpoint`;
  try {
    await client.query(`create table ${table} (like ${s}.kingdom including all)`);
    await client.query(`create table ${checkpoint} (projection text primary key, seq bigint not null)`);
    await client.query(`insert into ${checkpoint} values ('raw', 0)`);
    const sql =
      `with w as (insert into ${table} as t (campaign_id, branch_id, id, name, last_seq, updated_at) ` +
      `select v.campaign_id, v.branch_id, v.id, v.name, v.last_seq, now() from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) as v(campaign_id, branch_id, id, name, last_seq) ` +
      `on conflict (campaign_id, branch_id, id) do update set name = excluded.name, last_seq = excluded.last_seq, updated_at = excluded.updated_at where t.last_seq < excluded.last_seq returning 1), ` +
      `cp as (update ${checkpoint} set seq = $6 where projection = 'raw' and seq = $7 returning 1) ` +
      'select (select count(*) from w) as changed, (select count(*) from cp) as moved';
    log(`raw Postgres batched upsert, ${RAW_BATCH} rows per statement`);
    let seq = 0;
    let batches = 0;
    const batch = async () => {
      const ids: string[] = [];
      const names: string[] = [];
      const seqs: number[] = [];
      const from = seq;
      for (let i = 0; i < RAW_BATCH; i += 1) {
        seq += 1;
        ids.push(`k${seq}`);
        names.push(`Kingdom ${seq}`);
        seqs.push(seq);
      }
      const { rows } = await client.query(sql, [
        Array(RAW_BATCH).fill('bench'),
        Array(RAW_BATCH).fill('main'),
        ids,
        names,
        seqs,
        seq,
        from,
      ]);
      if (Number(rows[0].moved) !== 1) throw new Error(`raw upsert: the checkpoint was not at ${from}`);
      batches += 1;
    };
    for (let warm = 0; warm < 4; warm += 1) await batch();
    const from = cpu?.();
    const rowsBefore = seq;
    const started = performance.now();
    while (performance.now() - started < durationMs) await batch();
    const seconds = (performance.now() - started) / 1000;
    const rows = seq - rowsBefore;
    const result: RawUpsert = { rate: round(rows / seconds, 0), rows, batches: batches - 4, seconds: round(seconds) };
    if (cpu && from) result.cpu = cpuPerOperation(from, cpu(), rows, seconds, os.cpus().length);
    log(`  ${result.rate} rows/s`);
    if (result.cpu) log(`  CPU µs per row ${JSON.stringify(result.cpu.usPerOp)}`);
    return result;
  } finally {
    await client.query(`drop table if exists ${table}, ${checkpoint}`).catch(() => undefined);
    await client.end();
  }
}

export interface CatchUp {
  /** Events the projector had to apply when it resumed. */
  backlog: number;
  seconds: number;
  /** Backlog drained per second once the projector resumed. */
  rate: number | null;
  drained: boolean;
  cpu?: ReturnType<typeof cpuPerOperation>;
}

/**
 * How fast the read model catches up after its projector was away: the projector process is paused (SIGSTOP)
 * while `write` appends events, then resumed, and the drain is timed until every durable consumer is at the
 * head. The pause stays well inside the projector's lease (PROJECTOR_LEASE_TTL_MS, 10 s by default), so the
 * same instance resumes; what is measured is applying the backlog, not a takeover.
 */
export async function measureCatchUp(opts: {
  nats: Nats;
  names: NatsNames;
  projectorPid: number;
  write: () => Promise<number>;
  log: (s: string) => void;
  cpu?: () => CpuSnapshot;
}): Promise<CatchUp> {
  const { nats, names, projectorPid, log } = opts;
  log('projection catch-up: projector paused while commands are written');
  process.kill(projectorPid, 'SIGSTOP');
  let written: number;
  try {
    written = await opts.write();
  } finally {
    process.kill(projectorPid, 'SIGCONT');
  }
  const from = opts.cpu?.();
  const settle = await waitForProjections(nats, names, 300_000, log, 50);
  const result: CatchUp = {
    backlog: settle.pendingAtStart,
    seconds: settle.seconds,
    rate: settle.eventsPerSecond,
    drained: settle.drained,
  };
  if (opts.cpu && from)
    result.cpu = cpuPerOperation(from, opts.cpu(), settle.pendingAtStart, settle.seconds, os.cpus().length);
  log(
    `  ${written} commands written while paused; ${result.backlog} events applied in ${result.seconds} s (${result.rate ?? '-'} events/s)`,
  );
  if (result.cpu) log(`  CPU µs per event ${JSON.stringify(result.cpu.usPerOp)}`);
  return result;
}
