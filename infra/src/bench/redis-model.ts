// `npm run bench -- --only redis`: the Redis read model (issue 10 item 1), each figure beside its raw limit measured
// in the same run: a by-id GraphQL query served from Redis at 64 connections beside `{ __typename }` on the same
// server (and the raw Redis HGETALL rate, what one document read costs Redis), and the Redis projection's catch-up
// after a 20,000-event pause beside the raw pipelined Redis write rate of the same documents.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { natsNames } from '@cm/contracts';
import { cpuPerOperation, cpuSampler } from './cpu.js';
import { closeNats, connectNats, type Nats } from '@cm/platform';
import { isolatedNames } from '../isolation.js';
import { startSystem, type System } from '../launcher.js';
import { dropNamespace } from '../namespace-cleanup.js';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { sendCommand, writeBurst } from './command-load.js';
import { KeepAliveClient } from './http-client.js';
import { closedLoop, type LoadResult } from './load.js';
import { markdownTable, row } from './report.js';
import { round } from './stats.js';

const KINGDOMS = 1_000;
const BACKLOG = 20_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Polls the model's generation marker until it is complete at `seq` or later; resolves to when it got there. */
export async function redisAt(redis: Redis, prefix: string, seq: number, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [state, at] = await redis.hmget(`${prefix}meta`, 'state', 'seq');
    if (state === 'complete' && Number(at) >= seq) return performance.now();
    if (performance.now() > deadline) throw new Error(`the Redis model did not reach ${seq} (at ${at}, ${state})`);
    await sleep(10);
  }
}

async function metric(url: string, name: string, match: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

/** Raw Redis: HGETALL of the model's own kingdom documents, 64 in flight from one connection. */
async function rawHgetall(redis: Redis, keys: string[], durationMs: number): Promise<LoadResult> {
  return closedLoop({
    concurrency: 64,
    durationMs,
    warmupMs: 300,
    op: async (i) => void (await redis.hgetall(keys[i % keys.length]!)),
  });
}

/**
 * Raw Redis writes: what one projected KingdomCreated becomes (a document of seven fields and a list entry),
 * pipelined 500 at a time (the projector's batch) from one connection, for `durationMs`.
 */
export async function rawPipelinedWrites(
  redis: Redis,
  prefix: string,
  durationMs: number,
): Promise<{ rate: number; docs: number; seconds: number }> {
  let n = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 500; i += 1, n += 1) {
      const key = `${prefix}raw:d:${n}`;
      pipeline.hset(
        key,
        'last_seq',
        String(n),
        'campaign_id',
        '"bench"',
        'branch_id',
        '"main"',
        'id',
        `"k${n}"`,
        'name',
        `"Kingdom ${n}"`,
        'deleted',
        'false',
      );
      pipeline.sadd(`${prefix}raw:l`, `k${n}`);
    }
    await pipeline.exec();
  }
  const seconds = (performance.now() - started) / 1000;
  return { rate: round(n / seconds, 0), docs: n, seconds: round(seconds, 2) };
}

/**
 * Where the Redis projection runs: `shared`, in the projector process beside the Postgres projection (the launcher's
 * `query-projector`, both projections in one event loop); `split`, in a process of its own (`query-redis-projector`
 * beside `query-projector` with `QUERY_PROJECTIONS=postgres`).
 */
export type RedisProjectorShape = 'shared' | 'split';

export interface RedisBenchOptions {
  shape?: RedisProjectorShape;
  /** Only the catch-up rows (no GraphQL reads): `--skip-graphql`. */
  catchUpOnly?: boolean;
}

export async function runRedisModelBench(
  log: (s: string) => void,
  durationMs: number,
  opts: RedisBenchOptions = {},
): Promise<number> {
  const shape = opts.shape ?? 'shared';
  const services =
    shape === 'split'
      ? (['command-service', 'query-api', 'query-projector', 'query-redis-projector'] as const)
      : (['command-service', 'query-api', 'query-projector'] as const);
  const startedAt = new Date();
  const names = isolatedNames('bredis');
  const nn = natsNames(names.namespace);
  const prefix = `${names.namespace}:rm:`;
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET: randomBytes(24).toString('hex'),
    REDIS_READ_MODEL: 'on',
    // The reads measure the server, not its rate limits (as main.ts and cache-hit-rate.ts do).
    RATE_LIMIT_ENABLED: 'false',
  };
  let system: System | undefined;
  let nats: Nats | undefined;
  const redis = new Redis(REDIS_URL, { db: 0, enableAutoPipelining: true });
  try {
    nats = await connectNats(natsUrl(), 'bench-redis', toolLogger('bench'));
    system = await startSystem({
      ...names,
      env,
      output: 'files',
      services: [...services],
      ...(shape === 'split' ? { serviceEnv: { 'query-projector': { QUERY_PROJECTIONS: 'postgres' } } } : {}),
    });
    const n = nats;
    const campaignId = 'redis-bench';
    log(`seeding ${KINGDOMS} kingdoms`);
    const created = await sendCommand(n, nn, 'campaign.create', campaignId, campaignId, { name: 'Redis bench' });
    if (!created.ok) throw new Error(`campaign.create: ${created.error.message}`);
    const seeded = await closedLoop({
      concurrency: 64,
      durationMs: 600_000,
      maxOps: KINGDOMS,
      op: async (i) => {
        const r = await sendCommand(n, nn, 'kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` });
        if (!r.ok) return r.error.code;
      },
    });
    if (seeded.ok !== KINGDOMS) throw new Error(`only ${seeded.ok} kingdoms created`);
    await redisAt(redis, prefix, (await n.jsm.streams.info(nn.eventStream)).state.last_seq);

    // Reads: the same server, the same 64 keep-alive connections, a trivial query and a by-id query.
    const url = new URL(system.graphqlUrl);
    const client = new KeepAliveClient(url.origin, 64);
    const token = await system.token('bench-user');
    // `sendCommand` acts as bench-user, the campaign's owner: the token below may read it.
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await client.request('POST', url.pathname, JSON.stringify({ query, variables }), headers);
      if (res.status !== 200) return `HTTP ${res.status}`;
      const body = JSON.parse(res.body) as { errors?: { extensions?: { code?: string } }[] };
      if (body.errors?.length) return body.errors[0]?.extensions?.code ?? 'GRAPHQL_ERROR';
    };
    const BY_ID = 'query($c: ID!, $id: ID!) { kingdom(campaignId: $c, id: $id) { id name } }';
    let trivial: LoadResult | undefined;
    let byId: LoadResult | undefined;
    let fromRedis = 0;
    let fromPostgres = 0;
    if (!opts.catchUpOnly)
      try {
        log('GraphQL { __typename }, 64 connections');
        trivial = await closedLoop({ concurrency: 64, durationMs, warmupMs: 500, op: () => gql('{ __typename }') });
        log(`  ${trivial.rate} req/s, p99 ${trivial.latencyMs.p99} ms`);
        const apiUrl = system.urls['query-api']!;
        const redisBefore = await metric(apiUrl, 'cm_read_model_reads_total', 'method="kingdomsByKeys",reason=""');
        const pgBefore = await metric(apiUrl, 'cm_read_model_reads_total', 'model="postgres",method="kingdomsByKeys"');
        log('GraphQL kingdom by id (served from Redis), 64 connections');
        byId = await closedLoop({
          concurrency: 64,
          durationMs,
          warmupMs: 500,
          op: (i) => gql(BY_ID, { c: campaignId, id: `k${(i * 7919) % KINGDOMS}` }),
        });
        fromRedis =
          (await metric(apiUrl, 'cm_read_model_reads_total', 'method="kingdomsByKeys",reason=""')) - redisBefore;
        fromPostgres =
          (await metric(apiUrl, 'cm_read_model_reads_total', 'model="postgres",method="kingdomsByKeys"')) - pgBefore;
        log(
          `  ${byId.rate} req/s, p99 ${byId.latencyMs.p99} ms, ${byId.errors} errors; kingdom reads from Redis ${fromRedis}, from Postgres ${fromPostgres}`,
        );
      } finally {
        client.close();
      }
    if (!opts.catchUpOnly) log('raw Redis HGETALL of the kingdom documents, 64 in flight');
    const docKeys = Array.from({ length: KINGDOMS }, (_, i) => `${prefix}d:kingdom:${campaignId}:main:k${i}`);
    const rawGet = opts.catchUpOnly ? undefined : await rawHgetall(redis, docKeys, durationMs);
    if (rawGet) log(`  ${rawGet.rate} reads/s`);

    // Measured before the catch-up, on a quiet system: measured after it, the raw rate shared the machine with the
    // Postgres projection still catching up in the projector process, and swung 3,600-27,000 events/s between runs.
    const projectorPids = Object.fromEntries(
      services.filter((s) => s.endsWith('projector')).map((s) => [s, system!.pid(s)]),
    );
    const cpu = cpuSampler(projectorPids);
    log('raw pipelined Redis writes (document + list entry per event, 500 per pipeline)');
    const rawCpuFrom = cpu();
    const rawWrites = await rawPipelinedWrites(redis, prefix, durationMs);
    const rawCpu = cpuPerOperation(rawCpuFrom, cpu(), rawWrites.docs, rawWrites.seconds, os.cpus().length);
    log(`  ${rawWrites.rate} events/s; CPU µs per event ${JSON.stringify(rawCpu.usPerOp)}, busy ${rawCpu.busyShare}`);

    // Catch-up: the projector process paused while 20,000 commands are appended, then timed to the head.
    // Both projector processes of the split shape are paused, so that both projections catch up as in `shared`.
    log(`Redis projection catch-up (${shape}): projectors paused while ${BACKLOG} commands are written`);
    const from = (await n.jsm.streams.info(nn.eventStream)).state.last_seq;
    // How much of the catch-up the Redis runner spent in its batches (decode, script, ack) rather than waiting.
    const redisRunnerUrl = system.urls[shape === 'split' ? 'query-redis-projector' : 'query-projector']!;
    const applying = async () => ({
      seconds: await metric(redisRunnerUrl, 'cm_projector_batch_duration_seconds_sum', 'projection="redis"'),
      batches: await metric(redisRunnerUrl, 'cm_projector_batch_duration_seconds_count', 'projection="redis"'),
    });
    const applyingFrom = await applying();
    for (const pid of Object.values(projectorPids)) process.kill(pid!, 'SIGSTOP');
    let written: number;
    try {
      written = await writeBurst(n, nn, BACKLOG, 8_000);
    } finally {
      for (const pid of Object.values(projectorPids)) process.kill(pid!, 'SIGCONT');
    }
    const resumed = performance.now();
    const catchUpCpuFrom = cpu();
    const head = (await n.jsm.streams.info(nn.eventStream)).state.last_seq;
    const caughtUp = await redisAt(redis, prefix, head);
    const catchUpSeconds = (caughtUp - resumed) / 1000;
    const backlog = head - from;
    const catchUpRate = round(backlog / catchUpSeconds, 0);
    // Per event of the backlog, from the resume to the Redis model at the head (the Postgres projection works on).
    const catchUpCpu = cpuPerOperation(catchUpCpuFrom, cpu(), backlog, catchUpSeconds, os.cpus().length);
    const applyingTo = await applying();
    const inBatches = {
      seconds: round(applyingTo.seconds - applyingFrom.seconds, 2),
      batches: applyingTo.batches - applyingFrom.batches,
    };
    log(
      `  the Redis runner was in its batches for ${inBatches.seconds} s of ${round(catchUpSeconds, 2)} (${inBatches.batches} batches)`,
    );
    log(
      `  ${written} commands written; ${backlog} events applied to Redis in ${round(catchUpSeconds, 2)} s (${catchUpRate} events/s); CPU µs per event ${JSON.stringify(catchUpCpu.usPerOp)}, busy ${catchUpCpu.busyShare}`,
    );

    // The raw rate again once both projections are at the head: the other load on this machine moves between the
    // two measurements, and the row beside the target shows how far (the target row keeps the rate measured first).
    const projectorUrl = system.urls['query-projector']!;
    const pgDeadline = performance.now() + 300_000;
    while ((await metric(projectorUrl, 'cm_projector_checkpoint', 'projection="postgres"')) < head) {
      if (performance.now() > pgDeadline) throw new Error(`the Postgres projection did not reach ${head}`);
      await sleep(50);
    }
    const rawAfter = await rawPipelinedWrites(redis, `${prefix}after:`, durationMs);
    log(`  raw pipelined Redis writes again, both projections at the head: ${rawAfter.rate} events/s`);

    const readRows =
      trivial && byId && rawGet
        ? [
            row('GraphQL { __typename }, 64 connections', trivial.rate, 'req/s'),
            row('GraphQL kingdom by id served from Redis, 64 connections', byId.rate, 'req/s', {
              rawLimit: trivial.rate,
            }),
            row('by-id from Redis / { __typename }', byId.rate / trivial.rate, '×', {
              target: { op: '>=', value: 0.6 },
            }),
            row('raw Redis HGETALL of a model document, 64 in flight', rawGet.rate, 'reads/s'),
            row(
              'share of by-id reads answered by Redis',
              fromRedis + fromPostgres > 0 ? fromRedis / (fromRedis + fromPostgres) : null,
              '×',
            ),
          ]
        : [];
    const where =
      shape === 'split'
        ? 'the Postgres projection catches up in a process of its own'
        : 'the Postgres projection catches up in the same process';
    const rows = [
      ...readRows,
      row(`Redis projection catch-up after a pause (${backlog}-event backlog; ${where})`, catchUpRate, 'events/s', {
        rawLimit: rawWrites.rate,
      }),
      row('Redis catch-up / raw pipelined Redis writes', catchUpRate / rawWrites.rate, '×', {
        target: { op: '>=', value: 0.5 },
      }),
      row('raw pipelined Redis writes again, after the catch-up', rawAfter.rate, 'events/s'),
      row('Redis catch-up / the mean of both raw rates', (2 * catchUpRate) / (rawWrites.rate + rawAfter.rate), '×'),
    ];
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      settings: {
        namespace: names.namespace,
        kingdoms: KINGDOMS,
        backlog: BACKLOG,
        durationMs,
        shape,
        projectorBatchSize: process.env.PROJECTOR_BATCH_SIZE ?? 'default',
        services,
      },
      reads: { trivial, byId, rawGet, fromRedis, fromPostgres },
      catchUp: {
        backlog,
        seconds: round(catchUpSeconds, 2),
        rate: catchUpRate,
        cpu: catchUpCpu,
        inBatches,
        rawWrites,
        rawCpu,
        rawAfter,
      },
      rows,
    };
    const dir = join(repoRoot, 'bench-results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `bench-redis-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n${markdownTable(rows)}\n`);
    log(`results written to ${file}`);
    return 0;
  } catch (e) {
    log(`Redis read-model benchmark could not run: ${(e as Error).message}`);
    return 1;
  } finally {
    if (nats) await closeNats(nats);
    await system?.stop().catch(() => undefined);
    redis.disconnect();
    // Streams, schema and the namespace's Redis model (the raw-write keys live under the same prefix).
    await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  }
}
