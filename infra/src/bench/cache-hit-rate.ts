// `npm run bench -- --only cache`: the read side's cache hit rate on a read-mostly mix, end to end through the
// query service: 90% reads of a kingdom's settlement list, kingdoms drawn from a Zipf distribution, and 10% writes
// (a settlement's level) drawn from the same distribution, so the hottest lists are also the most invalidated.
// Beside it, the same run's raw limit: the hit rate a perfect invalidate-on-write cache (no TTL, no lag) would
// have had on the very sequence of operations sent. Both start warm: every list is read once before measuring.
import { signToken } from '@cm/platform';
import { Redis } from 'ioredis';
import { sendCommand } from './command-load.js';
import { closedLoop } from './load.js';
import { row } from './report.js';
import { runBench } from './runner.js';
import { round } from './stats.js';

const KINGDOMS = 500;
const SETTLEMENTS_PER_KINGDOM = 2;
const ZIPF_S = 1.0;
const WRITE_SHARE = 0.1;
const CONCURRENCY = 16;
const DURATION_MS = 20_000;
const USER = 'bench-user';

/** Draws 0..n-1 with P(k) ∝ 1/(k+1)^s, from a seeded generator so runs are comparable. */
function zipf(n: number, s: number, seed: number): () => number {
  const cdf: number[] = [];
  let total = 0;
  for (let k = 0; k < n; k += 1) cdf.push((total += 1 / (k + 1) ** s));
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

async function metric(url: string, name: string, type: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`cache_type="${type}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

export async function runCacheBench(log: (s: string) => void): Promise<number> {
  return runBench({ name: 'cache', label: 'bcache', log }, async ({ names, nn, jwtSecret, ...ctx }) => {
    const prefix = `${names.namespace}:`;
    ctx.defer(() => dropCacheKeys(prefix));
    const n = await ctx.nats();
    const system = await ctx.start({
      env: { CACHE_KEY_PREFIX: prefix },
      services: ['command-service', 'query-api', 'query-projector'],
    });
    const campaignId = 'cache-bench';
    log(`seeding ${KINGDOMS} kingdoms with ${SETTLEMENTS_PER_KINGDOM} settlements each`);
    const must = async (...args: Parameters<typeof sendCommand>) => {
      const reply = await sendCommand(...args);
      if (!reply.ok) throw new Error(`${args[2]}: ${reply.error.message}`);
    };
    await must(n, nn, 'campaign.create', campaignId, campaignId, { name: 'Cache bench' });
    await must(n, nn, 'location.create', campaignId, 'l', {
      name: 'Place',
      geometry: { type: 'Point', coordinates: [0, 0] },
    });
    const seed = await closedLoop({
      concurrency: 32,
      durationMs: 600_000,
      maxOps: KINGDOMS,
      op: async (k) => {
        await must(n, nn, 'kingdom.create', campaignId, `k${k}`, { name: `Kingdom ${k}` });
        for (let s = 0; s < SETTLEMENTS_PER_KINGDOM; s += 1)
          await must(n, nn, 'settlement.create', campaignId, `s${k}-${s}`, {
            kingdomId: `k${k}`,
            locationId: 'l',
            name: `S ${k}-${s}`,
            level: 1,
          });
      },
    });
    if (seed.ok !== KINGDOMS) throw new Error(`seeding: ${seed.ok} of ${KINGDOMS} kingdoms`);

    const api = system.urls['query-api']!;
    const token = await signToken(jwtSecret, USER);
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(`${api}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { errors?: { message: string }[] };
      if (body.errors?.length) throw new Error(body.errors[0]!.message);
    };
    // The seeding's last event is projected once a read at its sequence answers.
    const head = (await n.jsm.streams.info(nn.eventStream)).state.last_seq;
    await gql(`query($c: ID!, $m: Int) { kingdoms(campaignId: $c, minSeq: $m) { nodes { id } } }`, {
      c: campaignId,
      m: head,
    });

    // Steady state, not a cold start: every list is read once first (what CACHE_WARM_CAMPAIGNS does at start),
    // and the ideal cache below starts as warm.
    log(`priming: reading each of the ${KINGDOMS} kingdoms' settlement lists once`);
    const listQuery = `query($c: ID!, $k: ID!) { settlements(campaignId: $c, kingdomId: $k) { nodes { id name level } } }`;
    await closedLoop({
      concurrency: CONCURRENCY,
      durationMs: 600_000,
      maxOps: KINGDOMS,
      op: (k) => gql(listQuery, { c: campaignId, k: `k${k}` }),
    });
    const draw = zipf(KINGDOMS, ZIPF_S, 42);
    let coin = 7;
    const isWrite = () => (coin = (Math.imul(coin, 1103515245) + 12345) >>> 0) / 2 ** 32 < WRITE_SHARE;
    // The ideal cache on the same sequence: a read hits when its list was read since the last write to it.
    const fresh = new Set<number>(Array.from({ length: KINGDOMS }, (_, k) => k));
    let idealHits = 0;
    let reads = 0;
    let writes = 0;
    const hits0 = await metric(api, 'cache_hits_total', 'settlements');
    const misses0 = await metric(api, 'cache_misses_total', 'settlements');
    log(
      `mix: ${CONCURRENCY} clients for ${DURATION_MS / 1000} s, ${WRITE_SHARE * 100}% writes, Zipf s=${ZIPF_S} over ${KINGDOMS} kingdoms`,
    );
    const load = await closedLoop({
      concurrency: CONCURRENCY,
      durationMs: DURATION_MS,
      op: async (i) => {
        const k = draw();
        if (isWrite()) {
          writes += 1;
          fresh.delete(k);
          await gql(
            `mutation($c: ID!, $s: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: $s, level: $l) { seq } }`,
            { c: campaignId, s: `s${k}-${i % SETTLEMENTS_PER_KINGDOM}`, l: 1 + (i % 50) },
          );
        } else {
          reads += 1;
          if (fresh.has(k)) idealHits += 1;
          fresh.add(k);
          await gql(listQuery, { c: campaignId, k: `k${k}` });
        }
      },
    });
    const hits = (await metric(api, 'cache_hits_total', 'settlements')) - hits0;
    const misses = (await metric(api, 'cache_misses_total', 'settlements')) - misses0;
    const hitRate = hits + misses ? hits / (hits + misses) : null;
    const idealRate = reads ? idealHits / reads : null;
    const rows = [
      row(
        `settlement-list cache hit rate, 90% reads (Zipf s=${ZIPF_S} over ${KINGDOMS} kingdoms) / 10% writes, ${CONCURRENCY} clients`,
        hitRate,
        'ratio',
        {
          target: { op: '>=', value: 0.8 },
          rawLimit: idealRate,
        },
      ),
      row(
        'operations per second of the mix (reads and writes through GraphQL)',
        load.ok / (DURATION_MS / 1000),
        'ops/s',
      ),
    ];
    return {
      settings: {
        kingdoms: KINGDOMS,
        settlementsPerKingdom: SETTLEMENTS_PER_KINGDOM,
        zipfS: ZIPF_S,
        writeShare: WRITE_SHARE,
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
      },
      data: {
        cache: {
          reads,
          writes,
          hits,
          misses,
          hitRate: hitRate === null ? null : round(hitRate, 4),
          idealHitRate: idealRate === null ? null : round(idealRate, 4),
          errors: load.errors,
          errorKinds: load.errorKinds,
        },
      },
      rows,
    };
  });
}

/** Deletes the run's keys from the cache database (DB 1 unless REDIS_CACHE_DB says otherwise), with SCAN. */
export async function dropCacheKeys(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    db: Number(process.env.REDIS_CACHE_DB ?? 1),
  });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
