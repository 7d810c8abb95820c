import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, type ServiceProcess, waitForSagas } from '@cm/testkit';
import { loadQueryConfig } from '../config.js';
import { jetStreamHistory } from '../projector/event-history.js';
import { ProjectorTestSystem } from '../projector/projector-system.test-util.js';
import { projectStream } from '../projector/rebuild.js';
import {
  killRebuildProcesses,
  readThroughout,
  runRebuildProcess,
  until,
} from '../projector/rebuild-process.test-util.js';
import type { RebuildProgress } from '../projector/shadow-rebuild.js';
import { campaignScript, type Progress } from '../projector/workload.test-util.js';
import type { Database } from '../read-model/database.js';
import { deleteUnder, postgresModelRows, redisModelRows } from './model-rows.test-util.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { redisModelPrefix } from './redis-projector.js';
import { RedisProjectionWriter } from './redis-writer.js';

/*
 * `cm rebuild redis` end to end, minus the CLI's rendering: the real command service and query service (API and
 * both projectors) as processes, commands flowing and GraphQL queries (which Redis answers) reading throughout,
 * the rebuild process SIGKILLed half way, then run again to completion. No query may fail; the generation the
 * swap left, carried on by the live projector, must equal a fresh projection of the stream and the Postgres read
 * model row for row; the previous generation stays until `--drop-old`.
 */

const system = new ProjectorTestSystem('redis-rebuild-test');
const { names, schema } = system;
const base = redisModelPrefix(names.prefix);
const secret = `rebuild-${system.ns}-secret-0123456789`;
const config = loadQueryConfig({ NODE_ENV: 'test' });
const redisEnv = { REDIS_URL: config.REDIS_URL, REDIS_MODEL_DB: String(config.REDIS_MODEL_DB) };
let query: ServiceProcess;
let db: Database;
let redis: ModelRedis;

/** Runs the rebuild process for Redis; `onProgress` may kill it. */
const rebuild = (args: string[], onProgress?: Parameters<typeof runRebuildProcess>[2]) =>
  runRebuildProcess(
    { ...system.env, ...redisEnv, DATABASE_SCHEMA: schema },
    ['--projection', 'redis', ...args],
    onProgress,
  );

/** The live generation's prefix and checkpoint, as the scripts resolve it. */
async function liveGeneration(): Promise<{ prefix: string; seq: number; state: string }> {
  const [prefix, , seq, state] = await redis.generation(base);
  return { prefix, seq: Number(seq), state };
}

async function keyCount(pattern: string): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    n += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return n;
}

beforeAll(async () => {
  redis = connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB);
  await system.start();
  query = await system.startService('query-service', {
    ...redisEnv,
    QUERY_ROLE: 'all',
    JWT_SECRET: secret,
    PROJECTOR_BATCH_SIZE: '50',
    REDIS_READ_MODEL: 'on',
  });
  db = await system.database();
}, 120_000);

afterAll(async () => {
  killRebuildProcesses();
  await system.stop();
  if (redis) {
    await deleteUnder(redis.redis, base);
    await redis.quit();
  }
}, 60_000);

describe('rebuild of the Redis read model into a shadow generation', () => {
  it('swaps in a rebuilt generation while commands flow and queries read; a SIGKILL half way resumes; the result equals a fresh projection and Postgres', async () => {
    const { client } = system;
    const progress: Progress = { sent: 0, gate: Promise.resolve() };
    await Promise.all([campaignScript(client, 'camp0', progress), campaignScript(client, 'camp1', progress)]);
    const before = await liveGeneration();
    expect(before.prefix).toBe(base); // never rebuilt: the live generation lives under the base prefix

    // Load during the rebuild: two more campaigns written, and owners reading theirs (Redis answers the lists
    // and by-id reads of a complete generation), until told to stop.
    const reader = readThroughout(
      query.port,
      secret,
      'gm-1',
      '{ kingdoms(campaignId: "camp0") { nodes { id name settlements { nodes { id level } } } } kingdom(campaignId: "camp1", id: "k1") { id name } campaigns { id } }',
      (data) => (data.kingdoms as { nodes: unknown[] }).nodes.length > 0 && data.kingdom !== null,
    );
    const writing = Promise.all([campaignScript(client, 'camp2', progress), campaignScript(client, 'camp3', progress)]);

    // Small batches, so that half way is a point between many commits.
    const interrupted = await rebuild(['--batch-size', '25'], (p: RebuildProgress, child) => {
      if (p.phase === 'project' && p.checkpoint >= p.target / 2) child.kill('SIGKILL');
    });
    expect(interrupted.signal).toBe('SIGKILL');
    const killedAt = Math.max(...interrupted.lines.flatMap((l) => (l.phase === 'project' ? [l.checkpoint] : [])));
    expect(killedAt).toBeGreaterThan(0);
    expect(interrupted.lines.some((l) => l.phase === 'swapped')).toBe(false);
    // The half-built shadow is there, under its marker, and nothing reads it: the live generation is unchanged.
    // (Its checkpoint may be a batch past the last one reported: the kill races the report on the pipe.)
    const shadow = (await redis.redis.get(`${base}shadow`))!;
    expect(shadow.startsWith(`${base}g:`)).toBe(true);
    const shadowAt = Number(await redis.redis.hget(`${shadow}meta`, 'seq'));
    expect(shadowAt).toBeGreaterThanOrEqual(killedAt);
    expect((await liveGeneration()).prefix).toBe(base);

    const completed = await rebuild(['--batch-size', '25']);
    expect(completed.code).toBe(0);
    const start = completed.lines.find((l) => l.phase === 'start')!;
    expect(start).toMatchObject({ phase: 'start', shadow, live: base });
    expect(start.phase === 'start' && start.resumedAt).toBe(shadowAt);
    const swapped = completed.lines.at(-1)!;
    expect(swapped.phase).toBe('swapped');
    if (swapped.phase !== 'swapped') return;
    expect(swapped).toMatchObject({ live: shadow, old: base });
    expect(swapped.checkpoint).toBeGreaterThanOrEqual(swapped.liveCheckpoint);
    expect(swapped.rows.kingdom).toBeGreaterThan(0);
    expect((await liveGeneration()).prefix).toBe(shadow);
    expect(await redis.redis.exists(`${base}shadow`)).toBe(0);

    await writing;
    // And after the swap: the live projector carries on in the new generation.
    await campaignScript(client, 'camp4', progress);
    const { reads, failures } = await reader.stop();
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(10);

    await waitForSagas(system.nats, names);
    const target = await lastSeq(system.nats, names);
    await until(`Redis checkpoint ${target}`, async () => {
      const g = await liveGeneration();
      return g.seq === target && g.state === 'complete';
    });
    await until(`Postgres checkpoint ${target}`, async () => (await db.readModel.checkpoint('postgres')) === target);
    // A fresh projection of the whole stream into a prefix of its own, through the same writer.
    const freshBase = `${base}fresh:`;
    const freshWriter = new RedisProjectionWriter(
      redis,
      { shadow: freshBase },
      jetStreamHistory(system.nats, names),
      async () => target,
    );
    expect(await projectStream(system.nats, names, freshWriter, { uptoSeq: target, batchSize: 1000 })).toBe(target);
    const [live, fresh, postgres] = await Promise.all([
      redisModelRows(redis.redis, base),
      redisModelRows(redis.redis, freshBase),
      postgresModelRows(db),
    ]);
    for (const table of Object.keys(fresh)) {
      expect(live[table], table).toEqual(fresh[table]);
      expect(live[table], table).toEqual(postgres[table]);
    }
    expect(live.branch!.length).toBe(5 * 3);
    await deleteUnder(redis.redis, freshBase);

    // The old generation stays, whole, until dropped; dropping it leaves the live one alone.
    expect(Object.keys(await redis.redis.hgetall(`${base}old`))).toEqual([base]);
    expect(await keyCount(`${base}d:kingdom:*`)).toBeGreaterThan(0);
    expect(await redis.redis.exists(`${base}meta`)).toBe(1);
    const dropped = await rebuild(['--drop-old']);
    expect(dropped.code).toBe(0);
    expect(dropped.lines).toEqual([{ phase: 'dropped', generations: [base] }]);
    expect(await keyCount(`${base}d:*`)).toBe(0);
    expect(await keyCount(`${base}l:*`)).toBe(0);
    expect(await redis.redis.exists(`${base}meta`, `${base}old`)).toBe(0);
    expect(await redisModelRows(redis.redis, base)).toEqual(live);

    // --restart drops an interrupted shadow and starts a new one from sequence 1.
    const killed = await rebuild(['--batch-size', '25'], (p: RebuildProgress, child) => {
      if (p.phase === 'project' && p.checkpoint >= p.target / 2) child.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    const stale = (await redis.redis.get(`${base}shadow`))!;
    expect(await keyCount(`${stale}d:*`)).toBeGreaterThan(0);
    const restarted = await rebuild(['--restart']);
    expect(restarted.code).toBe(0);
    const restart = restarted.lines.find((l) => l.phase === 'start')!;
    expect(restart).toMatchObject({ phase: 'start', resumedAt: 0 });
    expect(restart.phase === 'start' && restart.shadow).not.toBe(stale);
    expect(await keyCount(`${stale}d:*`)).toBe(0);
    expect(await redisModelRows(redis.redis, base)).toEqual(live);
  }, 600_000);
});
