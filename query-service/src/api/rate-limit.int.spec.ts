import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { signToken } from '@cm/platform';
import { freePort, testNamespace } from '@cm/testkit';
import { REDIS_URL, TEST_CACHE_DB } from '../cache/cache.test-util.js';
import { testLogger } from '../projector/int-support.test-util.js';
import { startApiEdge, type ApiEdge } from './api-edge.test-util.js';
import { parseProxyTrust } from './client-address.js';
import { RateLimits, type RateLimitSettings } from './rate-limit.js';

// The rate-limit request step on the API's HTTP edge (the fast path in front of yoga), counting in this machine's
// Redis (DB 11, a key prefix of this file's own), and in memory while its Redis is a closed port.
const SECRET = 'unit-test-secret-0123456789';
const prefix = `${testNamespace()}:`;
const settings: RateLimitSettings = {
  windowSeconds: 2,
  tiers: { strict: 2, standard: 3, relaxed: 4 },
  budgets: { query: 'standard', mutation: 'standard', anonymous: 'strict' },
};
const open: { edge: ApiEdge; redis: Redis }[] = [];

async function edgeWith(redis: Redis, extra: Partial<RateLimitSettings> = {}): Promise<ApiEdge> {
  const edge = await startApiEdge({
    secret: SECRET,
    rateLimits: new RateLimits({ redis, settings: { ...settings, ...extra }, logger: testLogger(), keyPrefix: prefix }),
  });
  open.push({ edge, redis });
  return edge;
}

afterEach(async () => {
  for (const { edge, redis } of open.splice(0)) {
    await edge.close();
    if (redis.status === 'ready') {
      const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
    }
    redis.disconnect();
  }
});
afterAll(async () => undefined);

const fastCount = async (edge: ApiEdge) =>
  Number(/cm_graphql_fast_path_total(?:\{[^}]*\})? (\d+)/.exec(await edge.registry.metrics())?.[1] ?? 0);

async function send(edge: ApiEdge, user: string | undefined, query: string) {
  const auth: Record<string, string> = user ? { authorization: `Bearer ${await signToken(SECRET, user)}` } : {};
  const res = await fetch(edge.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ query }),
  });
  const h = (name: string) => res.headers.get(name);
  return {
    status: res.status,
    limit: h('x-ratelimit-limit'),
    remaining: h('x-ratelimit-remaining'),
    reset: Number(h('x-ratelimit-reset')),
    retryAfter: h('retry-after') === null ? null : Number(h('retry-after')),
    code:
      (JSON.parse(await res.text()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions
        ?.code ?? null,
  };
}

/**
 * A request without a token claiming to come from `forwardedFor`, by either path: a JSON POST (the fast path
 * takes it, fails to authenticate it and hands it to yoga) or a GET that only yoga serves.
 */
async function anonymous(edge: ApiEdge, forwardedFor: string, via: 'post' | 'get') {
  const query = '{ me { id } }';
  const res =
    via === 'post'
      ? await fetch(edge.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ query }),
        })
      : await fetch(`${edge.url}?query=${encodeURIComponent(query)}`, {
          headers: { accept: 'application/json', 'x-forwarded-for': forwardedFor },
        });
  await res.text();
  return [res.status, res.headers.get('x-ratelimit-remaining')];
}

const redisOn = () => new Redis(REDIS_URL, { db: TEST_CACHE_DB, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const ready = (r: Redis) =>
  new Promise<void>((resolve, reject) =>
    r.status === 'ready' ? resolve() : (r.once('ready', resolve), r.once('error', reject)),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('rate limits', () => {
  it('trips at the configured count on the fast path with the headers and Retry-After, and recovers after the window', async () => {
    const redis = redisOn();
    await ready(redis);
    const edge = await edgeWith(redis);
    const query = '{ me { id } }';
    // The first send of a text goes through yoga, the next ones take the fast path.
    const before = await fastCount(edge);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await send(edge, 'alice', query));
    expect(answers.map((a) => [a.status, a.limit, a.remaining, a.code])).toEqual([
      [200, '3', '2', null],
      [200, '3', '1', null],
      [200, '3', '0', null],
      [429, '3', '0', 'RATE_LIMITED'],
    ]);
    // The refusal came from yoga (the fast path handed the request over) without a second charge.
    expect(await fastCount(edge)).toBe(before + 2);
    const refused = answers[3]!;
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfter).toBeLessThanOrEqual(settings.windowSeconds);
    expect(answers.slice(0, 3).every((a) => a.retryAfter === null && a.reset >= 1)).toBe(true);
    // Another user has a budget of their own.
    expect((await send(edge, 'bob', query)).status).toBe(200);

    await sleep(refused.retryAfter! * 1000 + 100);
    const recovered = await send(edge, 'alice', query);
    expect([recovered.status, recovered.remaining]).toEqual([200, '2']);
  });

  it('trips alike when yoga answers every request (texts it has not seen), and refuses anonymous callers by address', async () => {
    const redis = redisOn();
    await ready(redis);
    const edge = await edgeWith(redis);
    const viaYoga = [];
    for (let i = 0; i < 4; i += 1) viaYoga.push(await send(edge, 'carol', `{ me { id } } # ${i}`));
    expect(viaYoga.map((a) => [a.status, a.remaining, a.code])).toEqual([
      [200, '2', null],
      [200, '1', null],
      [200, '0', null],
      [429, '0', 'RATE_LIMITED'],
    ]);
    expect(viaYoga[3]!.retryAfter).toBeGreaterThanOrEqual(1);

    const anonymous = [];
    for (let i = 0; i < 3; i += 1) anonymous.push(await send(edge, undefined, '{ me { id } }'));
    expect(anonymous.map((a) => [a.status, a.limit, a.remaining, a.code])).toEqual([
      [401, '2', '1', 'UNAUTHENTICATED'],
      [401, '2', '0', 'UNAUTHENTICATED'],
      [429, '2', '0', 'RATE_LIMITED'],
    ]);
  });

  it('keeps limiting in memory while its Redis is unreachable', async () => {
    // A port nothing listens on: the client never becomes ready.
    const redis = new Redis({
      host: '127.0.0.1',
      port: await freePort(),
      db: TEST_CACHE_DB,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
    });
    redis.on('error', () => undefined);
    const edge = await edgeWith(redis);
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await send(edge, 'dave', '{ me { id } }'));
    expect(answers.map((a) => [a.status, a.remaining, a.code])).toEqual([
      [200, '2', null],
      [200, '1', null],
      [200, '0', null],
      [429, '0', 'RATE_LIMITED'],
    ]);
    expect(answers[3]!.retryAfter).toBeGreaterThanOrEqual(1);
  });

  it('charges anonymous callers to the TCP peer when no proxy is trusted, whatever X-Forwarded-For claims', async () => {
    const redis = redisOn();
    await ready(redis);
    // A long window: these tests never wait for one to pass.
    const edge = await edgeWith(redis, { windowSeconds: 60 });
    // A fresh made-up address each time buys nothing: all three are the same peer, 127.0.0.1.
    expect([
      await anonymous(edge, '198.51.100.1', 'post'),
      await anonymous(edge, '198.51.100.2', 'get'),
      await anonymous(edge, '198.51.100.3', 'post'),
      await anonymous(edge, '198.51.100.4', 'get'),
    ]).toEqual([
      [401, '1'],
      [401, '0'],
      [429, '0'],
      [429, '0'],
    ]);
  });

  it('charges anonymous callers to their forwarded address behind a trusted proxy, on both paths', async () => {
    const redis = redisOn();
    await ready(redis);
    const edge = await edgeWith(redis, { windowSeconds: 60, trustProxy: parseProxyTrust('loopback') });
    const first = [
      await anonymous(edge, '198.51.100.1', 'post'),
      await anonymous(edge, '198.51.100.1', 'get'),
      await anonymous(edge, '198.51.100.1', 'post'),
    ];
    // Another client behind the same proxy has a budget of its own, by either path.
    const second = [await anonymous(edge, '198.51.100.2', 'get'), await anonymous(edge, '198.51.100.2', 'post')];
    // What a client writes left of the proxy's entry is not read: still 198.51.100.1's spent budget.
    const spoofed = await anonymous(edge, '203.0.113.50, 198.51.100.1', 'get');
    expect(first).toEqual([
      [401, '1'],
      [401, '0'],
      [429, '0'],
    ]);
    expect(second).toEqual([
      [401, '1'],
      [401, '0'],
    ]);
    expect(spoofed).toEqual([429, '0']);
  });
});
