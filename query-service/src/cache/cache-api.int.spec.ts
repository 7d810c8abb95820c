import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '@cm/contracts';
import { signToken, type Nats } from '@cm/platform';
import {
  closeTestNats,
  connectTestNats,
  distEntry,
  dropNamespace,
  freePort,
  GraphQLClient,
  NATS_URL,
  ServiceProcess,
  testNamespace,
} from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { dropSchema, openTestDatabase } from '../projector/int-support.test-util.js';
import { openTestCache, TEST_CACHE_DB, type TestCache } from './cache.test-util.js';

// The query service as a real process (API and projector) with the command service: hot lists through the cache,
// invalidated by the stream, read-your-writes kept; cacheStats and health in GraphQL; /health/cache; the logging
// switch; compression and security headers. Its cache is DB 11 under this file's key prefix.
const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
const prefix = `${ns}:`;
const SECRET = 'cache-api-test-secret-0123456789';
const C = `camp-${ns}`;
let nats: Nats;
let commands: ServiceProcess;
let query: ServiceProcess;
let cache: TestCache;
let db: Database;
let base: string;
const client: Record<string, GraphQLClient> = {};

beforeAll(async () => {
  nats = await connectTestNats('cache-api-test');
  const common = {
    CM_NAMESPACE: ns,
    NATS_URL,
    NODE_ENV: 'test',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    JWT_SECRET: SECRET,
  };
  const commandPort = await freePort();
  commands = new ServiceProcess(
    'command-service',
    distEntry('command-service'),
    { ...common, COMMAND_OPS_PORT: String(commandPort) },
    commandPort,
  );
  commands.start();
  await commands.waitReady();
  const queryPort = await freePort();
  query = new ServiceProcess(
    'query-service',
    distEntry('query-service'),
    {
      ...common,
      QUERY_HOST: '127.0.0.1',
      QUERY_PORT: String(queryPort),
      DATABASE_SCHEMA: schema,
      REDIS_CACHE_DB: String(TEST_CACHE_DB),
      CACHE_KEY_PREFIX: prefix,
      COMPRESSION_THRESHOLD_BYTES: '300',
      RATE_LIMIT_ENABLED: 'true',
    },
    queryPort,
  );
  query.start();
  await query.waitReady();
  base = `http://127.0.0.1:${queryPort}`;
  for (const user of ['alice', 'pat'])
    client[user] = new GraphQLClient(`${base}/graphql`, await signToken(SECRET, user));
  cache = await openTestCache(prefix);
  db = await openTestDatabase(ns, schema);
}, 90_000);

afterAll(async () => {
  await query?.kill('SIGTERM');
  await commands?.kill('SIGTERM');
  await cache?.close();
  if (db) {
    await dropSchema(db.sql, db.schema);
    await db.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
}, 60_000);

type Stats = {
  hits: number;
  misses: number;
  sets: number;
  families: { family: string; hits: number; misses: number }[];
};
const statsQuery = `query($c: ID!) { cacheStats(campaignId: $c) { hits misses hitRate sets deletes patternDeletes startTime enabled families { family hits misses sets } } }`;
const settlementsOf = `query($c: ID!, $k: ID!, $m: Int) { settlements(campaignId: $c, kingdomId: $k, minSeq: $m) { nodes { id name level } } }`;
const family = (s: Stats, name: string) => s.families.find((f) => f.family === name) ?? { hits: 0, misses: 0 };

describe('the cache in the query service', () => {
  it('serves a kingdom settlement list from the cache, and a read after a write never gets the older list', async () => {
    const alice = client['alice']!;
    await alice.ok(`mutation($c: ID!) { createCampaign(id: $c, name: "Cached") { seq } }`, { c: C });
    await alice.ok(`mutation($c: ID!) { addCampaignMember(campaignId: $c, userId: "pat", role: PLAYER) { seq } }`, {
      c: C,
    });
    await alice.ok(`mutation($c: ID!) { createKingdom(campaignId: $c, id: "k1", name: "North") { seq } }`, { c: C });
    await alice.ok(
      `mutation($c: ID!) { createLocation(campaignId: $c, id: "l1", name: "Ford", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
      { c: C },
    );
    const created = await alice.ok<{ createSettlement: { seq: number } }>(
      `mutation($c: ID!) { createSettlement(campaignId: $c, id: "s1", kingdomId: "k1", locationId: "l1", name: "Ashford", level: 1) { seq } }`,
      { c: C },
    );
    const m = created.createSettlement.seq;
    const before = (await alice.ok<{ cacheStats: Stats }>(statsQuery, { c: C })).cacheStats;
    const first = await alice.ok(settlementsOf, { c: C, k: 'k1', m });
    const second = await alice.ok(settlementsOf, { c: C, k: 'k1', m });
    expect(second).toEqual(first);
    expect(first).toEqual({ settlements: { nodes: [{ id: 's1', name: 'Ashford', level: 1 }] } });
    const after = (await alice.ok<{ cacheStats: Stats }>(statsQuery, { c: C })).cacheStats;
    expect(family(after, 'settlements').misses - family(before, 'settlements').misses).toBe(1);
    expect(family(after, 'settlements').hits - family(before, 'settlements').hits).toBe(1);
    expect(await cache.keys()).toContain(`campaign:${C}:settlements:kingdom:k1:main`);

    // A write, then a read at its sequence: the entry is older than that, so it is not used (or already gone).
    for (let level = 2; level <= 4; level += 1) {
      const set = await alice.ok<{ setSettlementLevel: { seq: number } }>(
        `mutation($c: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: "s1", level: $l) { seq } }`,
        { c: C, l: level },
      );
      const read = await alice.ok<{ settlements: { nodes: { level: number }[] } }>(settlementsOf, {
        c: C,
        k: 'k1',
        m: set.setSettlementLevel.seq,
      });
      expect(read.settlements.nodes[0]!.level).toBe(level);
    }

    // Without minSeq a reader polling while the write lands must not refill the entry from the read model as it
    // was before the write (the invalidator deletes only once the read model has the write, and again a moment
    // later): the new level shows up, and stays.
    await alice.ok(`mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "s1", level: 9) { seq } }`, { c: C });
    const levels: number[] = [];
    for (let i = 0; i < 100 && levels.at(-1) !== 9; i += 1) {
      levels.push(
        (await alice.ok<{ settlements: { nodes: { level: number }[] } }>(settlementsOf, { c: C, k: 'k1' })).settlements
          .nodes[0]!.level,
      );
      if (levels.at(-1) !== 9) await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 700));
    for (let i = 0; i < 3; i += 1)
      levels.push(
        (await alice.ok<{ settlements: { nodes: { level: number }[] } }>(settlementsOf, { c: C, k: 'k1' })).settlements
          .nodes[0]!.level,
      );
    expect(levels.slice(-4)).toEqual([9, 9, 9, 9]);
  });

  it('caches a spatial answer under its normalised spatial: key, and a move of its location removes it', async () => {
    const alice = client['alice']!;
    // Within a kilometre of l1 (at 1, 2 from the first test); the 8th decimal is normalised away in the key.
    const radius = `query($c: ID!, $lon: Float!, $m: Int) { settlementsWithinRadius(campaignId: $c, longitude: $lon, latitude: 2, meters: 1000, minSeq: $m) { id } }`;
    const before = (await alice.ok<{ cacheStats: Stats }>(statsQuery, { c: C })).cacheStats;
    const first = await alice.ok(radius, { c: C, lon: 1.00000001 });
    const second = await alice.ok(radius, { c: C, lon: 1.00000002 });
    expect(first).toEqual({ settlementsWithinRadius: [{ id: 's1' }] });
    expect(second).toEqual(first);
    const after = (await alice.ok<{ cacheStats: Stats }>(statsQuery, { c: C })).cacheStats;
    expect(family(after, 'spatial').misses - family(before, 'spatial').misses).toBe(1);
    expect(family(after, 'spatial').hits - family(before, 'spatial').hits).toBe(1);
    expect(
      (await cache.keys()).filter((k) => k.startsWith(`campaign:${C}:spatial:settlements-within-radius:`)),
    ).toHaveLength(1);

    const moved = await alice.ok<{ reshapeLocation: { seq: number } }>(
      `mutation($c: ID!) { reshapeLocation(campaignId: $c, id: "l1", geometry: { type: "Point", coordinates: [50, 50] }) { seq } }`,
      { c: C },
    );
    // Without minSeq, only the invalidator can take the older answer away before its TTL (300 s).
    await expect
      .poll(
        async () =>
          (await alice.ok<{ settlementsWithinRadius: unknown[] }>(radius, { c: C, lon: 1.00000001 }))
            .settlementsWithinRadius,
        { timeout: 15_000 },
      )
      .toEqual([]);
    // A read at the move's sequence never gets an answer from before it.
    expect(await alice.ok(radius, { c: C, lon: 1, m: moved.reshapeLocation.seq })).toEqual({
      settlementsWithinRadius: [],
    });
  });

  it('answers cacheStats and health to owners and game masters only', async () => {
    const stats = (
      await client['alice']!.ok<{ cacheStats: Stats & { enabled: boolean; hitRate: number } }>(statsQuery, { c: C })
    ).cacheStats;
    expect(stats.enabled).toBe(true);
    expect(stats.hits + stats.misses).toBeGreaterThan(0);
    expect(stats.hitRate).toBeCloseTo(stats.hits / (stats.hits + stats.misses), 6);
    expect(await client['pat']!.codes(statsQuery, { c: C })).toEqual(['FORBIDDEN']);

    const health = `query($c: ID!) { health(campaignId: $c) { status dependencies { name status latencyMs details } } }`;
    const answer = (
      await client['alice']!.ok<{
        health: { status: string; dependencies: { name: string; status: string; details: { thresholds?: unknown } }[] };
      }>(health, { c: C })
    ).health;
    expect(answer.dependencies.map((d) => d.name)).toEqual(expect.arrayContaining(['postgres', 'cache']));
    expect(answer.dependencies.filter((d) => d.name !== 'cache').every((d) => d.status === 'UP')).toBe(true);
    expect(['UP', 'DEGRADED']).toContain(answer.dependencies.find((d) => d.name === 'cache')!.status);
    expect(answer.dependencies.find((d) => d.name === 'cache')!.details.thresholds).toEqual({
      maxLatencyMs: 50,
      minHitRate: 0.5,
    });
    expect(await client['pat']!.codes(health, { c: C })).toEqual(['FORBIDDEN']);
  });

  it('serves /health/cache, switches cache logging from the machine, and is never rate limited', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await fetch(`${base}/health/cache`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      const body = (await res.json()) as { status: string; cache: { redisPingMs: number; thresholds: unknown } };
      expect(['up', 'degraded']).toContain(body.status);
      expect(body.cache.thresholds).toEqual({ maxLatencyMs: 50, minHitRate: 0.5 });
    }
    const on = await fetch(`${base}/ops/cache-logging?enabled=true`, { method: 'POST' });
    expect(await on.json()).toEqual({ cacheLogging: true });
    const off = await fetch(`${base}/ops/cache-logging?enabled=false`, { method: 'POST' });
    expect(await off.json()).toEqual({ cacheLogging: false });
    expect((await fetch(`${base}/ops/cache-logging?enabled=maybe`, { method: 'POST' })).status).toBe(400);
  });

  it('compresses large answers for clients that accept it, and sends security headers and rate-limit headers', async () => {
    const body = JSON.stringify({ query: statsQuery, variables: { c: C } });
    const token = await signToken(SECRET, 'alice');
    const ask = (encoding: string) =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-encoding': encoding },
        body,
      });
    const gzip = await ask('gzip');
    expect(gzip.headers.get('content-encoding')).toBe('gzip');
    expect(((await gzip.json()) as { data: { cacheStats: unknown } }).data.cacheStats).toBeDefined();
    const plain = await ask('identity');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('x-content-type-options')).toBe('nosniff');
    expect(plain.headers.get('x-frame-options')).toBe('DENY');
    expect(Number(plain.headers.get('x-ratelimit-limit'))).toBe(500);
    expect(Number(plain.headers.get('x-ratelimit-remaining'))).toBeLessThan(500);
    // A small answer stays as it is.
    const small = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(small.headers.get('content-encoding')).toBeNull();
  });
});
