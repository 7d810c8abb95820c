// `npm run bench -- --only rebuild [--rebuild-events N]`: `cm rebuild postgres` of a stream of N events (new
// kingdoms, one commit each) into the Postgres read model, beside the two raw limits measured in the same run on
// the same data: an ordered consumer reading the stream without decoding, and the batched upsert of raw rows
// (projection-catchup's measureRawUpsert). Then `cm rebuild redis` of the same stream into the Redis read model,
// beside the same read and the raw pipelined Redis write of the same documents (redis-model.ts). Target for each:
// rebuild rate >= 0.5 of the lower of its two raw limits.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeliverPolicy } from '@nats-io/jetstream';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type NatsNames } from '@cm/contracts';
import { ensureEventStream, type Nats } from '@cm/platform';
import { databaseUrl } from '../namespace-cleanup.js';
import { natsUrl } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { measureRawUpsert } from './projection-catchup.js';
import { sampleCommit } from './raw-publish.js';
import { rawPipelinedWrites } from './redis-model.js';
import { row } from './report.js';
import { runBench } from './runner.js';
import { round } from './stats.js';

const FILL_IN_FLIGHT = 1000;

async function fill(nats: Nats, nn: NatsNames, events: number, log: (s: string) => void): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < events) {
      const i = next++;
      await nats.js.publish(
        nn.eventSubject({ campaignId: 'rebuild', branchId: 'main', entityType: 'kingdom', entityId: `k${i}` }),
        sampleCommit(i, 'rebuild'),
      );
      if (i > 0 && i % 100_000 === 0) log(`  ${i} events written`);
    }
  };
  await Promise.all(Array.from({ length: FILL_IN_FLIGHT }, worker));
  return events / ((performance.now() - started) / 1000);
}

/** Reads the whole stream with an ordered consumer, as the rebuild does, without decoding: the read ceiling. */
async function rawOrderedRead(nats: Nats, nn: NatsNames, events: number): Promise<number> {
  const started = performance.now();
  const consumer = await nats.js.consumers.get(nn.eventStream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume({ max_messages: 1000 });
  let n = 0;
  for await (const m of messages) {
    n += 1;
    if (m.seq >= events) break;
  }
  messages.stop();
  return n / ((performance.now() - started) / 1000);
}

/** Runs the rebuild process (what `cm rebuild postgres|redis` runs) to its swap; resolves to its final report. */
function runRebuild(
  namespace: string,
  schema: string,
  log: (s: string) => void,
  projection: 'postgres' | 'redis' = 'postgres',
): Promise<{ events: number; elapsedMs: number; wallMs: number }> {
  const started = performance.now();
  const main = join(repoRoot, 'query-service/dist/projector/rebuild.main.js');
  const child = spawn(process.execPath, [main, '--projection', projection], {
    env: {
      ...process.env,
      CM_NAMESPACE: namespace,
      DATABASE_SCHEMA: schema,
      NATS_URL: natsUrl(),
      DATABASE_URL: databaseUrl(),
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(24).toString('hex'),
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let swapped: { events: number; elapsedMs: number } | undefined;
  let lastLog = 0;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const p = JSON.parse(line) as {
      phase?: string;
      checkpoint?: number;
      target?: number;
      events: number;
      elapsedMs: number;
    };
    if (p.phase === 'swapped') swapped = p;
    if (p.phase === 'project' && Date.now() - lastLog > 5000) {
      lastLog = Date.now();
      log(`  rebuild at ${p.checkpoint}/${p.target}`);
    }
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 && swapped
        ? resolve({ ...swapped, wallMs: performance.now() - started })
        : reject(new Error(`rebuild exited with ${code}`)),
    ),
  );
}

export async function runRebuildBench(events: number, log: (s: string) => void): Promise<number> {
  return runBench({ name: 'rebuild', label: 'brbld', log }, async ({ names, nn, ...ctx }) => {
    const nats = await ctx.nats();
    // The old generation and any shadow the rebuild left beside the schema the namespace's cleanup drops.
    ctx.defer(() => dropGenerations(names.schema));
    await ensureEventStream(nats.jsm, nn, { replicas: 1, duplicateWindowMs: 120_000 });
    log(`filling the event stream with ${events} events (one new kingdom per commit)`);
    const fillRate = await fill(nats, nn, events, log);
    log('raw ordered-consumer read of the whole stream');
    const readRate = await rawOrderedRead(nats, nn, events);
    log(`cm rebuild postgres of ${events} events`);
    const rebuilt = await runRebuild(names.namespace, names.schema, log);
    const rebuildRate = rebuilt.events / (rebuilt.elapsedMs / 1000);
    // After the rebuild, so the schema (its kingdom table, which the raw upsert copies) exists.
    const upsert = await measureRawUpsert(names.schema, 5000, log);
    const floor = Math.min(readRate, upsert.rate);
    log(`cm rebuild redis of ${events} events`);
    const redisRebuilt = await runRebuild(names.namespace, names.schema, log, 'redis');
    const redisRate = redisRebuilt.events / (redisRebuilt.elapsedMs / 1000);
    log('raw pipelined Redis writes (document + list entry per event, 500 per pipeline)');
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { db: 0 });
    const rawRedis = await rawPipelinedWrites(redis, `${names.namespace}:rm:`, 5000).finally(() => redis.disconnect());
    const redisFloor = Math.min(readRate, rawRedis.rate);
    const rows = [
      row('raw ordered-consumer read', readRate, 'events/s'),
      row('raw batched upsert (500 rows per statement)', upsert.rate, 'rows/s'),
      row(`cm rebuild postgres, ${events} events into a shadow schema, to the swap`, rebuildRate, 'events/s', {
        rawLimit: floor,
      }),
      row('rebuild / lower raw limit', rebuildRate / floor, '×', { target: { op: '>=', value: 0.5 } }),
      row('raw pipelined Redis writes (document + list entry, 500 per pipeline)', rawRedis.rate, 'events/s'),
      row(`cm rebuild redis, ${events} events into a shadow generation, to the swap`, redisRate, 'events/s', {
        rawLimit: redisFloor,
      }),
      row('Redis rebuild / lower raw limit', redisRate / redisFloor, '×', { target: { op: '>=', value: 0.5 } }),
    ];
    return {
      settings: { events, rebuildBatch: 'PROJECTOR_BATCH_SIZE default (500)' },
      data: {
        rebuild: {
          events: rebuilt.events,
          seconds: round(rebuilt.elapsedMs / 1000, 2),
          processSeconds: round(rebuilt.wallMs / 1000, 2),
          fillRate: round(fillRate),
        },
        redisRebuild: {
          events: redisRebuilt.events,
          seconds: round(redisRebuilt.elapsedMs / 1000, 2),
          processSeconds: round(redisRebuilt.wallMs / 1000, 2),
          rawWrites: rawRedis,
        },
      },
      rows,
    };
  });
}

/** The old generation and any shadow the rebuild left beside the schema dropNamespace drops. */
async function dropGenerations(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1) AND nspname <> $1',
      [schema],
    );
    for (const { nspname } of rows) await client.query(`DROP SCHEMA "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
