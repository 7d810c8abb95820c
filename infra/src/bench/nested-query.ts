// `npm run bench -- --only nested`: the nested query campaign → kingdoms → settlements → structures → variables
// over 1,000 settlements through the GraphQL API (a query-api process), against the raw Postgres time for the
// same rows fetched with one hand-written query per level, in the same run.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isolatedNames } from '../isolation.js';
import { startSystem, type System } from '../launcher.js';
import { databaseUrl, dropNamespace } from '../namespace-cleanup.js';
import { repoRoot } from '../paths.js';
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

async function readModelCalls(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('cm_read_model_calls_total{'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
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
  };
  let system: System | undefined;
  const client = new pg.Client({ connectionString: databaseUrl() });
  try {
    system = await startSystem({ ...names, env, output: 'files', services: ['query-api'] });
    await client.connect();
    const s = `"${names.schema}"`;
    const campaignId = 'nested';
    const settlements = KINGDOMS * SETTLEMENTS_PER_KINGDOM;
    log(
      `writing ${settlements} settlements, ${settlements * STRUCTURES_PER_SETTLEMENT} structures and as many variables into the read model`,
    );
    await client.query(
      `INSERT INTO ${s}.campaign (id, name, owner_id, last_seq) VALUES ($1, 'Nested', 'bench-user', 1)`,
      [campaignId],
    );
    await client.query(
      `INSERT INTO ${s}.campaign_member (campaign_id, user_id, role, last_seq) VALUES ($1, 'bench-user', 'owner', 1)`,
      [campaignId],
    );
    await client.query(
      `INSERT INTO ${s}.kingdom (campaign_id, branch_id, id, name, last_seq) SELECT $1, 'main', 'k' || g, 'Kingdom ' || g, 1 FROM generate_series(0, ${KINGDOMS - 1}) g`,
      [campaignId],
    );
    await client.query(
      `INSERT INTO ${s}.settlement (campaign_id, branch_id, id, kingdom_id, location_id, name, level, last_seq) ` +
        `SELECT $1, 'main', 's' || g, 'k' || (g % ${KINGDOMS}), 'l0', 'Town ' || g, g % 10, 1 FROM generate_series(1, ${settlements}) g`,
      [campaignId],
    );
    await client.query(
      `INSERT INTO ${s}.structure (campaign_id, branch_id, id, settlement_id, name, structure_type, level, condition, last_seq) ` +
        `SELECT $1, 'main', 's' || g || '-' || j, 's' || g, 'Building ' || j, 'keep', j, 100, 1 FROM generate_series(1, ${settlements}) g, generate_series(1, ${STRUCTURES_PER_SETTLEMENT}) j`,
      [campaignId],
    );
    await client.query(
      `INSERT INTO ${s}.state_variable (campaign_id, branch_id, owner_type, owner_id, key, value_type, value, last_seq) ` +
        `SELECT $1, 'main', 'structure', 's' || g || '-' || j, 'staff', 'number', to_jsonb(j), 1 FROM generate_series(1, ${settlements}) g, generate_series(1, ${STRUCTURES_PER_SETTLEMENT}) j`,
      [campaignId],
    );
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
    const before = await readModelCalls(api);
    const got = await ask();
    const roundTrips = (await readModelCalls(api)) - before;
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
      nested: { roundTrips, apiMs: apiMs.map((m) => round(m, 1)), rawMs: rawMs.map((m) => round(m, 1)), rawRows: rows },
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
    await system?.stop().catch(() => undefined);
    await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  }
}
