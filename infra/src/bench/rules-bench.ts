// `npm run bench -- --only rules`: the rules service. In one process (rules-service/dist/bench/engine-bench.js,
// run as a child so infra imports no service): cached evaluation next to node-cache's own get, and compiled
// evaluation next to json-logic-js on the same expressions. Through the system: computedFields on 1,000
// settlements over GraphQL, rules requests per level, and p99 next to the same query without computed fields,
// once with the Redis `computed-fields:` cache cold (its entries deleted before each query, so every query asks the
// rules service) and once warm (every query served by one MGET).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { natsNames } from '@cm/contracts';
import { CACHE_INVALIDATION_CONSUMER, closeNats, connectNats } from '@cm/platform';
import { Redis } from 'ioredis';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { type System } from '../launcher.js';
import { repoRoot } from '../paths.js';
import { dropCacheKeys } from './cache-hit-rate.js';
import { KeepAliveClient } from './http-client.js';
import { row } from './report.js';
import { runBench } from './runner.js';
import { Samples, type LatencySummary } from './stats.js';

interface EngineFigures {
  budgetMs: number;
  rawNodeCacheGet: number;
  cached: { perSecond: number; hitRate: number };
  uncached2: { compiled: number; jsonLogicJs: number; speedup: number };
  uncached20: { compiled: number; jsonLogicJs: number; speedup: number };
}

const SETTLEMENTS = 1_000;
// All 1,000 settlements in one page (lists are connections, 50 to a page by default).
const LIST = 'query($c: ID!) { settlements(campaignId: $c, first: 1000) { nodes { id name level } } }';
const LIST_COMPUTED =
  'query($c: ID!) { settlements(campaignId: $c, first: 1000) { nodes { id name level computedFields { field value } } } }';

async function engineFigures(budgetMs: number): Promise<EngineFigures> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'rules-service/dist/bench/engine-bench.js'), '--ms', String(budgetMs)],
    {
      cwd: repoRoot,
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(stdout) as EngineFigures;
}

async function rulesRequests(system: System): Promise<number> {
  const text = await (await fetch(`${system.urls['rules-service']}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('cm_rules_request_duration_seconds_count'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

/** Creates a campaign with 1,000 settlements and three computed fields on settlements. */
async function seed(gql: (q: string, v: Record<string, unknown>) => Promise<void>, campaignId: string): Promise<void> {
  const c = { c: campaignId };
  await gql('mutation($c: ID!) { createCampaign(id: $c, name: "Rules benchmark") { seq } }', c);
  await gql('mutation($c: ID!) { createKingdom(campaignId: $c, id: "k", name: "K") { seq } }', c);
  await gql(
    'mutation($c: ID!) { createLocation(campaignId: $c, id: "l", name: "L", geometry: { type: "Point", coordinates: [0, 0] }) { seq } }',
    c,
  );
  const create =
    'mutation($c: ID!, $id: ID!, $lv: Int) { createSettlement(campaignId: $c, id: $id, kingdomId: "k", locationId: "l", name: "Town", level: $lv) { seq } }';
  for (let i = 0; i < SETTLEMENTS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, SETTLEMENTS - i) }, (_, j) =>
        gql(create, { ...c, id: `s${i + j}`, lv: (i + j) % 10 }),
      ),
    );
  }
  const define =
    'mutation($c: ID!, $id: ID!, $f: String!, $e: JSON!) { defineFieldCondition(campaignId: $c, id: $id, entityType: SETTLEMENT, field: $f, expression: $e) { seq } }';
  await gql(define, { ...c, id: 'wealth', f: 'wealth', e: { sum: ['structures', 'level'] } });
  await gql(define, { ...c, id: 'prosperous', f: 'prosperous', e: { '>': [{ var: 'level' }, 5] } });
  await gql(define, { ...c, id: 'label', f: 'label', e: { cat: [{ var: 'name' }, ' (', { var: 'level' }, ')'] } });
}

async function latency(
  gql: (q: string, v: Record<string, unknown>) => Promise<void>,
  query: string,
  campaignId: string,
  n: number,
  /** Runs before each query, outside its time. */
  untimed?: () => Promise<unknown>,
): Promise<LatencySummary> {
  const samples = new Samples();
  for (let i = 0; i < n; i++) {
    await untimed?.();
    const started = performance.now();
    await gql(query, { c: campaignId });
    samples.add(performance.now() - started);
  }
  return samples.summary();
}

/** Resolves once the query service's cache invalidator has handled every event of the stream (bounded). */
async function invalidatorCaughtUp(namespace: string): Promise<void> {
  const nats = await connectNats(natsUrl(), 'bench-rules', toolLogger('bench'));
  try {
    const stream = natsNames(namespace).eventStream;
    for (let i = 0; i < 600; i++) {
      const info = await nats.jsm.consumers.info(stream, CACHE_INVALIDATION_CONSUMER);
      if (info.num_pending === 0 && info.num_ack_pending === 0) return;
      await sleep(100);
    }
  } finally {
    await closeNats(nats);
  }
}

/** Runs the rules rows; returns the process exit code. */
export async function runRulesBench(opts: { durationMs: number; log: (s: string) => void }): Promise<number> {
  const { log } = opts;
  return runBench({ name: 'rules', label: 'rbench', log }, async ({ names, ...ctx }) => {
    const cachePrefix = `${names.namespace}:`;
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      db: Number(process.env.REDIS_CACHE_DB ?? 1),
      lazyConnect: true,
    });
    ctx.defer(() => dropCacheKeys(cachePrefix));
    ctx.defer(() => redis.disconnect());
    log('rules engine in one process');
    const engine = await engineFigures(Math.max(1000, Math.round(opts.durationMs / 2)));
    log(`starting command-service, query-service and rules-service in ${names.namespace}`);
    const system = await ctx.start({
      // The cost limit multiplies by the literal `first: 1000`: the computed list costs 23,000 against the default
      // 20,000. The entries the cold measurement deletes are named under the cache prefix.
      env: { GRAPHQL_MAX_COST: '100000', CACHE_KEY_PREFIX: cachePrefix },
      services: ['command-service', 'query-service', 'rules-service'],
    });
    const url = new URL(system.graphqlUrl);
    const client = new KeepAliveClient(url.origin, 50);
    ctx.defer(() => client.close());
    const token = await system.token('bench-user');
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await client.request('POST', url.pathname, JSON.stringify({ query, variables }), headers);
      const body = JSON.parse(res.body) as { errors?: { message: string }[] };
      if (res.status !== 200 || body.errors?.length)
        throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors)}`);
    };
    const campaignId = `rb-${randomBytes(3).toString('hex')}`;
    log(`seeding ${SETTLEMENTS} settlements`);
    await seed(gql, campaignId);
    const rounds = Math.max(20, Math.round(opts.durationMs / 100));
    await latency(gql, LIST, campaignId, 3);
    await latency(gql, LIST_COMPUTED, campaignId, 3);
    log(`${rounds} list queries without computedFields, and with them (cache cold, then warm)`);
    const plain = await latency(gql, LIST, campaignId, rounds);
    const entries = Array.from(
      { length: SETTLEMENTS },
      (_, i) => `${cachePrefix}campaign:${campaignId}:computed-fields:settlement:s${i}:main`,
    );
    await redis.connect();
    // The seeding's events are still reaching the cache invalidator on a loaded machine; each deletes an entry the
    // measurements below would fill. Measure once it has caught up.
    await invalidatorCaughtUp(names.namespace);
    const before = await rulesRequests(system);
    const computed = await latency(gql, LIST_COMPUTED, campaignId, rounds, () => redis.del(...entries));
    const perQuery = ((await rulesRequests(system)) - before) / rounds;
    await latency(gql, LIST_COMPUTED, campaignId, 1);
    const beforeWarm = await rulesRequests(system);
    const warm = await latency(gql, LIST_COMPUTED, campaignId, rounds);
    const perWarmQuery = ((await rulesRequests(system)) - beforeWarm) / rounds;

    const rows = [
      row('rules: node-cache get, one process (raw limit of a cached lookup)', engine.rawNodeCacheGet, 'gets/s'),
      row('rules: cached evaluation through the evaluator, one process', engine.cached.perSecond, 'evals/s', {
        target: { op: '>=', value: 1_000_000 },
        rawLimit: engine.rawNodeCacheGet,
      }),
      row('rules: uncached 2-operator condition, compiled', engine.uncached2.compiled, 'evals/s', {
        target: { op: '>=', value: 200_000 },
        rawLimit: engine.uncached2.jsonLogicJs,
      }),
      row('rules: 2-operator compiled / json-logic-js', engine.uncached2.speedup, '×', {
        target: { op: '>=', value: 10 },
      }),
      row('rules: uncached 20-operator condition, compiled', engine.uncached20.compiled, 'evals/s', {
        rawLimit: engine.uncached20.jsonLogicJs,
      }),
      row('rules: 20-operator compiled / json-logic-js', engine.uncached20.speedup, '×', {
        target: { op: '>=', value: 10 },
      }),
      row(`rules: requests per query, computedFields on ${SETTLEMENTS} settlements (one level)`, perQuery, 'requests', {
        target: { op: '<=', value: 1 },
      }),
      row(`rules: p99 of settlements (${SETTLEMENTS}) without computedFields`, plain.p99, 'ms'),
      row(`rules: p99 of settlements (${SETTLEMENTS}) with computedFields, cache cold`, computed.p99, 'ms', {
        target: { op: '<=', value: 3 * plain.p99 },
        rawLimit: plain.p99,
      }),
      row(`rules: p99 of settlements (${SETTLEMENTS}) with computedFields, cache warm`, warm.p99, 'ms', {
        target: { op: '<=', value: 3 * plain.p99 },
        rawLimit: plain.p99,
      }),
      row('rules: requests per query, cache warm', perWarmQuery, 'requests', { target: { op: '<=', value: 0 } }),
    ];
    return {
      settings: { schema: names.schema, settlements: SETTLEMENTS, rounds },
      data: {
        engine,
        graphql: {
          plain,
          computed,
          warm,
          rulesRequestsPerQuery: perQuery,
          rulesRequestsPerWarmQuery: perWarmQuery,
        },
      },
      rows,
    };
  });
}
