// `npm run bench -- --only nested`: the nested query campaign → kingdoms → settlements → structures → variables
// over 1,000 settlements through the GraphQL API (a query-api process, its data written through commands so that
// both the Postgres and the Redis read models hold it), against the raw Postgres time for the same rows fetched
// with one hand-written query per level, in the same run. It reports which model served the list pages.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats, type Nats } from '@cm/platform';
import { isolatedNames } from '../isolation.js';
import { startSystem, type System } from '../launcher.js';
import { databaseUrl, dropNamespace } from '../namespace-cleanup.js';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { sendCommand } from './command-load.js';
import { closedLoop } from './load.js';
import { redisAt } from './redis-model.js';
import { markdownTable, row } from './report.js';
import { round } from './stats.js';

const KINGDOMS = 10;
const SETTLEMENTS_PER_KINGDOM = 100;
const STRUCTURES_PER_SETTLEMENT = 2;
const RUNS = 20;
/** campaign, kingdoms, settlements, structures, variables. */
const DEPTH = 5;

const NESTED = `query($c: ID!) { campaign(id: $c) { id name kingdoms(first: ${KINGDOMS}) { nodes { id name settlements(first: ${SETTLEMENTS_PER_KINGDOM}) { nodes { id name level structures { nodes { id name level variables { nodes { key value } } } } } } } } } }`;

/** The same rows by hand: one statement per level, each taking the previous level's ids. */
async function rawLevels(client: pg.Client, s: string, campaignId: string): Promise<number> {
  const c = await client.query(`SELECT id, name FROM ${s}.campaign WHERE id = $1 AND NOT deleted`, [campaignId]);
  const k = await client.query(
    `SELECT id, name FROM ${s}.kingdom WHERE campaign_id = $1 AND branch_id = 'main' AND NOT deleted ORDER BY name, id`,
    [campaignId],
  );
  const st = await client.query(
    `SELECT id, name, level, kingdom_id FROM ${s}.settlement WHERE campaign_id = $1 AND branch_id = 'main' AND kingdom_id = ANY($2) AND NOT deleted ORDER BY kingdom_id, name, id`,
    [campaignId, k.rows.map((r) => r.id)],
  );
  const sr = await client.query(
    `SELECT id, name, level, settlement_id FROM ${s}.structure WHERE campaign_id = $1 AND branch_id = 'main' AND settlement_id = ANY($2) AND NOT deleted ORDER BY settlement_id, name, id`,
    [campaignId, st.rows.map((r) => r.id)],
  );
  const v = await client.query(
    `SELECT owner_id, key, value FROM ${s}.state_variable WHERE campaign_id = $1 AND branch_id = 'main' AND owner_type = 'structure' AND owner_id = ANY($2) AND NOT deleted ORDER BY owner_id, key`,
    [campaignId, sr.rows.map((r) => r.id)],
  );
  return c.rowCount! + k.rowCount! + st.rowCount! + sr.rowCount! + v.rowCount!;
}

async function metricSum(url: string, name: string, ...labels: string[]): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((m) => l.includes(m)))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}
const readModelCalls = (url: string) => metricSum(url, 'cm_read_model_calls_total');

/** Polls the Postgres projection's checkpoint until it is at `seq` or later. */
async function postgresAt(client: pg.Client, s: string, seq: number, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await client.query(`SELECT seq FROM ${s}.projection_checkpoint WHERE name = 'postgres'`);
    if (Number(r.rows[0]?.seq ?? 0) >= seq) return;
    if (performance.now() > deadline) throw new Error(`the Postgres projection did not reach ${seq}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runNestedBench(log: (s: string) => void): Promise<number> {
  const startedAt = new Date();
  const names = isolatedNames('bnested');
  // The cost limit multiplies by each literal `first` and by 1.5 per level: this whole tree is far over the
  // default GRAPHQL_MAX_COST, as a client asking for it should be told; the bench lifts it to measure the reads.
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(24).toString('hex'),
    GRAPHQL_MAX_COST: '1000000000',
    REDIS_READ_MODEL: 'on',
    RATE_LIMIT_ENABLED: 'false',
  };
  let system: System | undefined;
  let nats: Nats | undefined;
  const client = new pg.Client({ connectionString: databaseUrl() });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { db: 0 });
  try {
    nats = await connectNats(natsUrl(), 'bench-nested', toolLogger('bench'));
    system = await startSystem({
      ...names,
      env,
      output: 'files',
      services: ['command-service', 'query-api', 'query-projector'],
    });
    await client.connect();
    const s = `"${names.schema}"`;
    const campaignId = 'nested';
    const settlements = KINGDOMS * SETTLEMENTS_PER_KINGDOM;
    // Seeded through commands, so that both projections (Postgres and the Redis model) hold the rows and the API
    // answers from whichever it reads; `cm_read_model_reads_total` below says which model served the pages.
    log(
      `seeding ${settlements} settlements, ${settlements * STRUCTURES_PER_SETTLEMENT} structures and as many variables through commands`,
    );
    const n = nats;
    const nn = natsNames(names.namespace);
    const send = async (...args: Parameters<typeof sendCommand> extends [unknown, unknown, ...infer R] ? R : never) => {
      const reply = await sendCommand(n, nn, ...args);
      if (!reply.ok) throw new Error(`${args[0]}: ${reply.error.code} ${reply.error.message}`);
    };
    const sendAll = async (count: number, make: (i: number) => Parameters<typeof send>) => {
      const result = await closedLoop({
        concurrency: 64,
        durationMs: 600_000,
        maxOps: count,
        op: (i) => send(...make(i)),
      });
      if (result.ok !== count) throw new Error(`only ${result.ok} of ${count} commands succeeded`);
    };
    await send('campaign.create', campaignId, campaignId, { name: 'Nested' });
    await send('location.create', campaignId, 'l0', {
      name: 'Place',
      geometry: { type: 'Point', coordinates: [0, 0] },
    });
    await sendAll(KINGDOMS, (i) => ['kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` }]);
    await sendAll(settlements, (i) => [
      'settlement.create',
      campaignId,
      `s${i + 1}`,
      { kingdomId: `k${(i + 1) % KINGDOMS}`, locationId: 'l0', name: `Town ${i + 1}`, level: (i + 1) % 10 },
    ]);
    const structure = (i: number) =>
      `s${Math.floor(i / STRUCTURES_PER_SETTLEMENT) + 1}-${(i % STRUCTURES_PER_SETTLEMENT) + 1}`;
    await sendAll(settlements * STRUCTURES_PER_SETTLEMENT, (i) => [
      'structure.create',
      campaignId,
      structure(i),
      {
        settlementId: `s${Math.floor(i / STRUCTURES_PER_SETTLEMENT) + 1}`,
        name: `Building ${(i % STRUCTURES_PER_SETTLEMENT) + 1}`,
        structureType: 'keep',
        level: (i % STRUCTURES_PER_SETTLEMENT) + 1,
        condition: 100,
      },
    ]);
    await sendAll(settlements * STRUCTURES_PER_SETTLEMENT, (i) => [
      'state-variable.set',
      campaignId,
      `structure~${structure(i)}`,
      {
        ownerType: 'structure',
        ownerId: structure(i),
        key: 'staff',
        value: { type: 'number', value: (i % STRUCTURES_PER_SETTLEMENT) + 1 },
      },
    ]);
    const head = (await n.jsm.streams.info(nn.eventStream)).state.last_seq;
    await redisAt(redis, `${names.namespace}:rm:`, head);
    await postgresAt(client, s, head);
    await client.query(
      `ANALYZE ${s}.campaign, ${s}.campaign_member, ${s}.kingdom, ${s}.settlement, ${s}.structure, ${s}.state_variable`,
    );

    const token = await system.token('bench-user');
    const api = system.urls['query-api']!;
    const ask = async () => {
      const res = await fetch(`${api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: NESTED, variables: { c: campaignId } }),
      });
      const body = (await res.json()) as {
        data?: { campaign: { kingdoms: { nodes: { settlements: { nodes: unknown[] } }[] } } };
        errors?: unknown[];
      };
      if (body.errors) throw new Error(`the nested query failed: ${JSON.stringify(body.errors)}`);
      return body.data!.campaign.kingdoms.nodes.reduce((n, k) => n + k.settlements.nodes.length, 0);
    };
    // Warm both paths (the second send of a query text takes the fast path), then measure them alternately.
    for (let i = 0; i < 3; i += 1) {
      await ask();
      await rawLevels(client, s, campaignId);
    }
    // Round trips to either model: Postgres statements, and the Redis reads that answered (one script each).
    const redisReads = () => metricSum(api, 'cm_read_model_reads_total', 'model="redis"');
    const before = (await readModelCalls(api)) + (await redisReads());
    const pagesBefore = {
      redis: await metricSum(api, 'cm_read_model_reads_total', 'method="listPages"', 'model="redis"'),
      postgres: await metricSum(api, 'cm_read_model_reads_total', 'method="listPages"', 'model="postgres"'),
    };
    const got = await ask();
    const roundTrips = (await readModelCalls(api)) + (await redisReads()) - before;
    const pagesFrom = {
      redis:
        (await metricSum(api, 'cm_read_model_reads_total', 'method="listPages"', 'model="redis"')) - pagesBefore.redis,
      postgres:
        (await metricSum(api, 'cm_read_model_reads_total', 'method="listPages"', 'model="postgres"')) -
        pagesBefore.postgres,
    };
    log(`list page reads of one nested query: ${pagesFrom.redis} from Redis, ${pagesFrom.postgres} from Postgres`);
    if (got !== settlements) throw new Error(`the nested query answered ${got} settlements, not ${settlements}`);
    const apiMs: number[] = [];
    const rawMs: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS; i += 1) {
      let t = performance.now();
      await ask();
      apiMs.push(performance.now() - t);
      t = performance.now();
      rows = await rawLevels(client, s, campaignId);
      rawMs.push(performance.now() - t);
    }
    const api50 = round(median(apiMs), 1);
    const raw50 = round(median(rawMs), 1);
    log(
      `nested query: ${roundTrips} read-model round trips, median ${api50} ms; raw, one statement per level: median ${raw50} ms (${rows} rows)`,
    );
    const table = [
      row(
        `nested query (${settlements} settlements, depth ${DEPTH}): read-model round trips`,
        roundTrips,
        'round trips',
        { target: { op: '<=', value: DEPTH + 1 } },
      ),
      row('nested query over HTTP, median of 20', api50, 'ms', { rawLimit: raw50 }),
      row(
        'nested query time / raw Postgres, one hand-written query per level',
        raw50 ? api50 / raw50 : undefined,
        '×',
        { target: { op: '<=', value: 3 } },
      ),
    ];
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model,
        loadAverage: os.loadavg().map((l) => round(l, 1)),
        node: process.version,
      },
      settings: {
        kingdoms: KINGDOMS,
        settlementsPerKingdom: SETTLEMENTS_PER_KINGDOM,
        structuresPerSettlement: STRUCTURES_PER_SETTLEMENT,
        runs: RUNS,
        query: NESTED,
      },
      nested: {
        roundTrips,
        listPageReads: pagesFrom,
        apiMs: apiMs.map((m) => round(m, 1)),
        rawMs: rawMs.map((m) => round(m, 1)),
        rawRows: rows,
      },
      rows: table,
    };
    const dir = join(repoRoot, 'bench-results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-nested-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n${markdownTable(table)}\n`);
    log(`results written to ${file}`);
    return 0;
  } catch (e) {
    log(`nested benchmark could not run: ${(e as Error).message}`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
    redis.disconnect();
    if (nats) await closeNats(nats).catch(() => undefined);
    await system?.stop().catch(() => undefined);
    await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  }
}
