import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames, type NatsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  createMetrics,
  ensureEventStream,
  signToken,
  type Nats,
  type Registry,
} from '@cm/platform';
import { startCommandService, type RunningCommandService, until } from '@cm/testkit';
import { createApi, type Api } from '../api/create-api.js';
import { loadQueryConfig } from '../config.js';
import { testLogger } from '../projector/int-support.test-util.js';
import { startProjector, type Projector } from '../projector/postgres-projector.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { ReadModel } from '../read-model/read-model.port.js';
import { connectModelRedis, type ModelRedis } from './redis-client.js';
import { redisModelPrefix, startRedisProjector } from './redis-projector.js';
import { RedisReadModel } from './redis-read-model.js';
import { postgresModelRows, redisModelRows } from './model-rows.test-util.js';

// The API in-process with both projections over real NATS, Postgres and Redis. The Redis model lives in a
// logical database of this file's own (REDIS_TEST_DB), which the flush test empties with FLUSHDB: never
// FLUSHALL, and never a database that holds anyone else's keys (checked before each flush).
const REDIS_TEST_DB = 13;
const JWT_SECRET = `int-${randomBytes(16).toString('hex')}`;
const logger = testLogger();
const C = 'redis-reads';
let names: NatsNames;
let prefix: string;
let nats: Nats;
let db: Database;
let redis: ModelRedis;
let projectors: Projector[] = [];
let api: Api;
let server: http.Server;
let service: RunningCommandService;
let registry: Registry;
let url: string;
let startRedis: () => Promise<Projector>;
let token: string;

/** Calls per read-model method that reached Postgres: a real counter on the port the API reads through. */
const postgresCalls = new Map<string, number>();
function counting(readModel: ReadModel): ReadModel {
  return new Proxy(readModel, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        postgresCalls.set(String(prop), (postgresCalls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data)
    throw new Error(`operation failed (${res.status}): ${JSON.stringify(body.errors)}\n${query}`);
  return body.data;
}

const streamHead = async () => (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
const redisServing = (seq: number) =>
  until(
    `the Redis model complete at ${seq}`,
    async () => (await new RedisReadModel(redis, prefix).servingCheckpoint()) >= seq,
  );
const metricSum = async (name: string, labels: Record<string, string> = {}) => {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
};

beforeAll(async () => {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const config = loadQueryConfig({
    ...process.env,
    NODE_ENV: 'test',
    CM_NAMESPACE: namespace,
    DATABASE_SCHEMA: `t_${randomBytes(5).toString('hex')}`,
    JWT_SECRET,
    MIN_SEQ_TIMEOUT_MS: '10000',
    PROJECTOR_BATCH_SIZE: '50',
    PROJECTOR_LEASE_TTL_MS: '3000',
    REDIS_MODEL_DB: String(REDIS_TEST_DB),
  });
  names = natsNames(namespace);
  prefix = redisModelPrefix(names.prefix);
  registry = createMetrics('redis-reads-test');
  nats = await connectNats(config.NATS_URL, 'redis-reads-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  service = await startCommandService(namespace);
  db = await openDatabase(config, logger);
  await db.migrateUp();
  redis = connectModelRedis(config.REDIS_URL, config.REDIS_MODEL_DB);
  projectors = [
    await startProjector({ config, logger, nats, names, db, registry }),
    await (startRedis = () => startRedisProjector({ config, logger, nats, names, registry, redis, prefix }))(),
  ];
  api = await createApi({
    config,
    logger,
    nats,
    names,
    readModel: counting(db.readModel),
    registry,
    redisModel: new RedisReadModel(redis, prefix),
  });
  server = http.createServer((req, res) => api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  token = await signToken(JWT_SECRET, 'alice');
});

afterAll(async () => {
  await closeServer(server);
  await api?.close();
  for (const p of projectors) await p.stop();
  if (redis) {
    // Only this file's keys: the database is its own, but delete by prefix all the same.
    const keys = await redis.redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.redis.del(...keys.slice(i, i + 500));
    await redis.quit();
  }
  await db?.sql.run(`drop schema if exists "${db.schema}" cascade`).catch(() => undefined);
  await db?.close();
  await service?.stop();
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats?.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
  await closeNats(nats);
});

const SERVED = [
  'rolesByKeys',
  'branchesByKeys',
  'kingdomsByKeys',
  'kingdomsByScopes',
  'settlementsByKeys',
  'settlementsByParents',
  'structuresByKeys',
  'structuresBySettlements',
  'variablesByOwners',
  'locationsByKeys',
  'listPages',
];
const servedFromPostgres = () => SERVED.reduce((n, m) => n + (postgresCalls.get(m) ?? 0), 0);

describe('reads served by the Redis read model', () => {
  // Lists are connections (cursor pages, filters, counts: query-service/src/read-model/lists.ts); the pages of the
  // lists Redis holds come from its child lists, one script per level (redis-lists.int.spec.ts holds them to Postgres).
  it('answers by-id reads and list pages from Redis, without a Postgres read of them', async () => {
    await gql(`mutation($c: ID!) { createCampaign(id: $c, name: "Redis reads") { seq } }`, { c: C });
    for (const k of ['k2', 'k1'])
      await gql(`mutation($c: ID!, $k: ID!, $n: String!) { createKingdom(campaignId: $c, id: $k, name: $n) { seq } }`, {
        c: C,
        k,
        n: k,
      });
    await gql(
      `mutation($c: ID!) { createLocation(campaignId: $c, id: "l1", name: "Ford", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
      { c: C },
    );
    for (const s of ['s2', 's1'])
      await gql(
        `mutation($c: ID!, $s: ID!, $n: String!) { createSettlement(campaignId: $c, id: $s, kingdomId: "k1", locationId: "l1", name: $n, level: 2) { seq } }`,
        { c: C, s, n: s },
      );
    await gql(
      `mutation($c: ID!) { createStructure(campaignId: $c, id: "st1", settlementId: "s1", name: "Mill", structureType: "mill") { seq } }`,
      { c: C },
    );
    const last = await gql(
      `mutation($c: ID!) { setStateVariable(campaignId: $c, ownerType: SETTLEMENT, ownerId: "s1", key: "gold", value: { type: NUMBER, value: 3 }) { seq } }`,
      { c: C },
    );
    const seq = last.setStateVariable.seq as number;
    await redisServing(seq);

    postgresCalls.clear();
    const redisReadsBefore = await metricSum('cm_read_model_reads_total', { model: 'redis' });
    const listPagesBefore = await metricSum('cm_read_model_reads_total', { model: 'redis', method: 'listPages' });
    const data = await gql(
      `query($c: ID!, $m: Int) {
        campaign(id: $c, minSeq: $m) { kingdoms { nodes { id settlements { nodes { id structures { nodes { id name } } variables { nodes { key value } } } } } } }
        kingdom(campaignId: $c, id: "k1") { name }
        settlement(campaignId: $c, id: "s1") { name level location { id } }
        structure(campaignId: $c, id: "st1") { structureType }
      }`,
      { c: C, m: seq },
    );
    expect(data.campaign.kingdoms.nodes.map((k: { id: string }) => k.id)).toEqual(['k1', 'k2']);
    expect(data.campaign.kingdoms.nodes[0].settlements.nodes).toEqual([
      {
        id: 's1',
        structures: { nodes: [{ id: 'st1', name: 'Mill' }] },
        variables: { nodes: [{ key: 'gold', value: 3 }] },
      },
      { id: 's2', structures: { nodes: [] }, variables: { nodes: [] } },
    ]);
    expect(postgresCalls.get('listPages') ?? 0).toBe(0);
    expect(await metricSum('cm_read_model_reads_total', { model: 'redis', method: 'listPages' })).toBe(
      listPagesBefore + 4,
    );
    expect(data.kingdom).toEqual({ name: 'k1' });
    expect(data.settlement).toEqual({ name: 's1', level: 2, location: { id: 'l1' } });
    expect(data.structure).toEqual({ structureType: 'mill' });
    expect(servedFromPostgres()).toBe(0);
    expect(postgresCalls.get('campaignsByIds')).toBe(1); // what Redis does not hold still comes from Postgres
    expect(await metricSum('cm_read_model_reads_total', { model: 'redis' })).toBeGreaterThan(redisReadsBefore);
  });

  it('keeps answering while Redis is flushed under writes: no error, nothing older than minSeq, then Redis equals Postgres again', async () => {
    const foreign = (await redis.redis.keys('*')).filter((k) => !k.startsWith(prefix));
    expect(foreign, `Redis database ${REDIS_TEST_DB} holds keys that are not this test's`).toEqual([]);
    const WRITES = 60;
    let written = { version: 0, seq: 0 };
    let writing = true;
    const failures: string[] = [];
    const stale: string[] = [];
    let reads = 0;

    const writer = (async () => {
      try {
        for (let v = 1; v <= WRITES; v += 1) {
          const r = await gql(
            `mutation($c: ID!, $n: String!) { renameKingdom(campaignId: $c, id: "k1", name: $n) { seq kingdom { name } } }`,
            { c: C, n: `v${v}` },
          );
          if (r.renameKingdom.kingdom.name !== `v${v}`)
            stale.push(`mutation read back ${r.renameKingdom.kingdom.name} for v${v}`);
          written = { version: v, seq: r.renameKingdom.seq };
          if (v === WRITES / 3) {
            const flushed = await redis.redis.flushdb();
            expect(flushed).toBe('OK');
          }
        }
      } finally {
        writing = false;
      }
    })();
    const reader = async () => {
      while (writing) {
        const { version, seq } = written;
        try {
          const data = await gql(
            `query($c: ID!, $m: Int) { kingdom(campaignId: $c, id: "k1", minSeq: $m) { name } kingdoms(campaignId: $c, minSeq: $m) { nodes { id name } } settlements(campaignId: $c, kingdomId: "k1", minSeq: $m) { nodes { id } } }`,
            { c: C, m: seq },
          );
          reads += 1;
          const seen = (name: string) => (name === 'k1' ? 0 : Number(name.slice(1)));
          if (seen(data.kingdom.name) < version) stale.push(`kingdom ${data.kingdom.name} after v${version}`);
          const listed = data.kingdoms.nodes.find((k: { id: string }) => k.id === 'k1');
          if (seen(listed.name) < version) stale.push(`kingdoms list ${listed.name} after v${version}`);
          if (data.settlements.nodes.length !== 2) stale.push(`settlements of k1: ${JSON.stringify(data.settlements)}`);
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    await Promise.all([writer, reader(), reader(), reader()]);

    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    await until(
      'the Redis projector to notice the flush',
      async () => (await metricSum('cm_projector_rebuilds_total', { projection: 'redis' })) >= 1,
    );
    await redisServing(await streamHead());
    expect(await redisModelRows(redis.redis, prefix)).toEqual(await postgresModelRows(db));
    // And it serves again.
    postgresCalls.clear();
    const data = await gql(`query($c: ID!) { kingdom(campaignId: $c, id: "k1") { name } }`, { c: C });
    expect(data.kingdom.name).toBe(`v${WRITES}`);
    expect(servedFromPostgres()).toBe(0);
  });
  it("answers a mutation's entity from a model that has applied the write, while the Redis model is complete but behind", async () => {
    await redisServing(await streamHead());
    await projectors[1]!.stop();
    try {
      const r = await gql(
        `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "k2", name: "renamed while Redis stood still") { seq kingdom { name } } }`,
        { c: C },
      );
      // Redis still serves (complete) at its older checkpoint: the write's sequence is the floor of the entity read.
      expect(await new RedisReadModel(redis, prefix).servingCheckpoint()).toBeLessThan(r.renameKingdom.seq);
      expect(r.renameKingdom.kingdom).toEqual({ name: 'renamed while Redis stood still' });
      const read = await gql(`query($c: ID!, $m: Int) { kingdom(campaignId: $c, id: "k2", minSeq: $m) { name } }`, {
        c: C,
        m: r.renameKingdom.seq,
      });
      expect(read.kingdom).toEqual({ name: 'renamed while Redis stood still' });
    } finally {
      projectors[1] = await startRedis();
    }
    await redisServing(await streamHead());
  });
});
