import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayReport } from '@cm/contracts';
import { isolatedNames } from './isolation.js';
import { startSystem, type System } from './launcher.js';
import { databaseUrl, dropRedisModel } from './namespace-cleanup.js';
import { repoRoot } from './paths.js';
import { graphql } from './seed/graphql-http.js';

// `cm replay --into <projection>` against the whole system as processes: a row corrupted by hand in one projection
// is shown (--dry-run) and restored by re-projecting its entity, and nothing else changes.
const run = promisify(execFile);
const cli = join(repoRoot, 'infra/dist/cli.js');
const names = isolatedNames('clir');
const CAMPAIGN = `rp-${randomBytes(3).toString('hex')}`;
const prefix = `${names.namespace}:rm:`;
const townDoc = `${prefix}d:settlement:${CAMPAIGN}:main:town`;
let system: System;
let token: string;
let db: pg.Client;
let redis: Redis;
let lastSeq = 0;

type Result = { code: number; stdout: string; stderr: string };

async function cm(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [cli, ...args, '--namespace', names.namespace, '--schema', names.schema],
      { env: { ...process.env, NO_COLOR: '' } },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function gql(query: string): Promise<number> {
  const data = await graphql<Record<string, { seq: number }>>(system.graphqlUrl, token, query, { c: CAMPAIGN });
  lastSeq = Math.max(lastSeq, Object.values(data)[0]!.seq);
  return lastSeq;
}

const row = async (table: string, id: string, branch = 'main') =>
  (
    await db.query<{ row: Record<string, unknown> }>(
      `SELECT to_jsonb(t) AS row FROM "${names.schema}"."${table}" t WHERE campaign_id = $1 AND branch_id = $2 AND id = $3`,
      [CAMPAIGN, branch, id],
    )
  ).rows[0]?.row;

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Both projections have applied everything written so far. */
async function projected(seq = lastSeq): Promise<void> {
  await until(async () => {
    const pgSeq = await db.query<{ seq: string }>(
      `SELECT seq FROM "${names.schema}".projection_checkpoint WHERE name = 'postgres'`,
    );
    const redisSeq = await redis.hget(`${prefix}meta`, 'seq');
    return Number(pgSeq.rows[0]?.seq ?? 0) >= seq && Number(redisSeq ?? 0) >= seq;
  }, `both projections at ${seq}`);
}

const report = (r: Result): ReplayReport => JSON.parse(r.stdout) as ReplayReport;
const townChange = (r: ReplayReport) => r.rows.find((x) => x.table === 'settlement' && x.key.id === 'town')!;

beforeAll(async () => {
  system = await startSystem({ ...names, env: { LOG_LEVEL: 'warn' }, services: ['command-service', 'query-service'] });
  token = await system.token('alice');
  db = new pg.Client({ connectionString: databaseUrl() });
  await db.connect();
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { db: Number(process.env.REDIS_MODEL_DB ?? 0) });
  await gql(`mutation($c: ID!) { createCampaign(id: $c, name: "Replay") { seq } }`);
  await gql(`mutation($c: ID!) { createKingdom(campaignId: $c, id: "realm", name: "Realm") { seq } }`);
  await gql(
    `mutation($c: ID!) { createLocation(campaignId: $c, id: "spot", name: "Spot", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
  );
  for (const [id, name] of [
    ['town', 'Ashford'],
    ['other', 'Other'],
  ])
    await gql(
      `mutation($c: ID!) { createSettlement(campaignId: $c, id: "${id}", kingdomId: "realm", locationId: "spot", name: "${name}", level: 1) { seq } }`,
    );
  await gql(`mutation($c: ID!) { renameSettlement(campaignId: $c, id: "town", name: "Ashford Market") { seq } }`);
  await gql(`mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "town", level: 2) { seq } }`);
  await projected();
}, 120_000);

afterAll(async () => {
  await db?.end();
  redis?.disconnect();
  await system?.stop({ cleanup: true });
  await dropRedisModel(names.namespace);
});

// Several CLI processes per test (each a Node start-up and a replay process), on a machine other runs share.
describe('cm replay --into', { timeout: 120_000 }, () => {
  it('shows, then restores, a Postgres row corrupted by hand; Redis and the other rows stay as they are', async () => {
    await db.query(
      `UPDATE "${names.schema}".settlement SET name = 'CORRUPT', level = 99 WHERE campaign_id = $1 AND id = 'town'`,
      [CAMPAIGN],
    );
    const otherBefore = await row('settlement', 'other');
    const redisBefore = await redis.hgetall(townDoc);

    const dry = await cm(['replay', '--entity', 'town', '--into', 'postgres', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = townChange(report(dry));
    expect(report(dry)).toMatchObject({ projection: 'postgres', dryRun: true, aggregates: 1, events: 3 });
    expect(planned.change).toBe('updated');
    expect(planned.fields).toEqual([
      { field: 'level', before: 99, after: 2 },
      { field: 'name', before: 'CORRUPT', after: 'Ashford Market' },
    ]);
    expect((await row('settlement', 'town'))!.name).toBe('CORRUPT');

    const readable = await cm(['replay', '--entity', 'town', '--into', 'postgres', '--dry-run']);
    expect(readable.stdout).toContain('dry run, nothing written');
    expect(readable.stdout).toMatch(/settlement campaign_id=\S+ branch_id=main id=town: would be updated/);
    expect(readable.stdout).toContain('name: "CORRUPT" → "Ashford Market"');
    expect((await row('settlement', 'town'))!.name).toBe('CORRUPT');

    const applied = await cm(['replay', '--entity', 'town', '--into', 'postgres', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(townChange(report(applied)).change).toBe('updated');
    expect(await row('settlement', 'town')).toMatchObject({ name: 'Ashford Market', level: 2, last_seq: lastSeq });
    expect(await row('settlement', 'other')).toEqual(otherBefore);
    expect(await redis.hgetall(townDoc)).toEqual(redisBefore);

    // Once restored, a replay finds nothing to change.
    const again = await cm(['replay', '--entity', 'town', '--into', 'postgres', '--json']);
    expect(townChange(report(again))).toMatchObject({ change: 'unchanged', fields: [] });
  });

  it('shows, then restores, a Redis document corrupted by hand; Postgres stays as it is', async () => {
    await redis.hset(townDoc, 'name', JSON.stringify('BROKEN'));
    const pgBefore = await row('settlement', 'town');
    const otherBefore = await redis.hgetall(`${prefix}d:settlement:${CAMPAIGN}:main:other`);

    const dry = await cm(['replay', '--entity', 'town', '--into', 'redis', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(townChange(report(dry))).toMatchObject({
      change: 'updated',
      fields: [{ field: 'name', before: 'BROKEN', after: 'Ashford Market' }],
    });
    expect(await redis.hget(townDoc, 'name')).toBe('"BROKEN"');

    const applied = await cm(['replay', '--entity', 'town', '--into', 'redis']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('name: "BROKEN" → "Ashford Market"');
    expect(await redis.hget(townDoc, 'name')).toBe('"Ashford Market"');
    expect(await redis.hgetall(`${prefix}d:settlement:${CAMPAIGN}:main:other`)).toEqual(otherBefore);
    expect(await row('settlement', 'town')).toEqual(pgBefore);
  });

  it('does not undo a live write that lands while it runs', async () => {
    // Holding parked_event stops the replay right after it read the checkpoint it folds up to; the live write
    // then lands past that checkpoint, and the replay's rows, written once it goes on, must not undo it.
    const holder = new pg.Client({ connectionString: databaseUrl() });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${names.schema}".parked_event IN ACCESS EXCLUSIVE MODE`);
      const replay = cm(['replay', '--entity', 'town', '--into', 'postgres', '--json']);
      await until(async () => {
        const waiting = await db.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
          [`%"${names.schema}".%parked_event%`],
        );
        return waiting.rowCount! > 0;
      }, 'the replay to wait for parked_event');
      const live = await gql(
        `mutation($c: ID!) { renameSettlement(campaignId: $c, id: "town", name: "Newer") { seq } }`,
      );
      await until(async () => (await row('settlement', 'town'))?.name === 'Newer', 'the live write');
      await holder.query('COMMIT');
      const result = await replay;
      expect(result.code, result.stderr).toBe(0);
      expect(report(result).uptoSeq).toBeLessThan(live);
      expect(townChange(report(result))).toMatchObject({ change: 'newer', storedSeq: live });
      expect(await row('settlement', 'town')).toMatchObject({ name: 'Newer', last_seq: live });
    } finally {
      await holder.end();
    }
  });

  it("restores a branch's row from its lineage: the parent's events up to the fork, then the branch's own", async () => {
    await gql(`mutation($c: ID!) { forkBranch(campaignId: $c, id: "alt", name: "Alt") { seq } }`);
    await gql(
      `mutation($c: ID!) { renameSettlement(campaignId: $c, branchId: "alt", id: "other", name: "Other Alt") { seq } }`,
    );
    await projected();
    const healthy = await row('settlement', 'other', 'alt');
    const mainBefore = await row('settlement', 'other');
    await db.query(
      `UPDATE "${names.schema}".settlement SET name = 'X', level = 50 WHERE campaign_id = $1 AND branch_id = 'alt' AND id = 'other'`,
      [CAMPAIGN],
    );
    const result = await cm(['replay', '--branch', 'alt', '--entity', 'other', '--into', 'postgres', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const change = report(result).rows.find((r) => r.key.id === 'other')!;
    expect(change).toMatchObject({ change: 'updated', key: { branch_id: 'alt' } });
    expect(change.fields).toEqual([
      { field: 'level', before: 50, after: 1 },
      { field: 'name', before: 'X', after: 'Other Alt' },
    ]);
    const { updated_at: _restored, ...restored } = (await row('settlement', 'other', 'alt'))!;
    const { updated_at: _healthy, ...expected } = healthy!;
    expect(restored).toEqual(expected);
    expect(await row('settlement', 'other')).toEqual(mainBefore);
  });

  it('refuses an unknown projection and an empty range with stable codes', async () => {
    const bad = await cm(['replay', '--entity', 'town', '--into', 'elastic']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/VALIDATION: --into "elastic" is no projection/);
    const empty = await cm(['replay', '--entity', 'nobody', '--into', 'postgres']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/NOT_FOUND: no event in that range/);
    const dryAlone = await cm(['replay', '--entity', 'town', '--dry-run']);
    expect(dryAlone.code).toBe(2);
    const help = await cm(['replay', '--help']);
    expect(help.stdout).toMatch(/--into <projection>/);
    expect(help.stdout).toMatch(/--dry-run/);
  });
});
