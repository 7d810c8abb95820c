import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { natsNames, type NatsNames } from '@cm/contracts';
import {
  closeNats,
  closeServer,
  connectNats,
  createLogger,
  createMetrics,
  ensureEventStream,
  signToken,
  type Nats,
  type Registry,
} from '@cm/platform';
import { type RunningCommandService, startCommandService } from '@cm/testkit';
import { loadQueryConfig } from '../config.js';
import { startProjector, type Projector } from '../projector/postgres-projector.js';
import { openDatabase, type Database } from '../read-model/database.js';
import type { ReadModel } from '../read-model/read-model.port.js';
import { createApi, type Api } from './create-api.js';
import { Redis } from 'ioredis';
import { RateLimits } from './rate-limit.js';

// The API in-process over everything real: NATS, the command service as its own process, the Postgres read
// model in a fresh schema and its projector. Namespace, schema and lease bucket are ours and removed after.
const JWT_SECRET = `int-${randomBytes(16).toString('hex')}`;
const logger = createLogger('graphql-api-test', {
  NODE_ENV: 'test',
  LOG_LEVEL: (process.env.TEST_LOG_LEVEL as 'error') ?? 'silent',
  LOG_FORMAT: 'json',
});
let names: NatsNames;
let nats: Nats;
let db: Database;
let projector: Projector;
let api: Api;
let server: http.Server;
let service: RunningCommandService;
let registry: Registry;
let url: string;
let limiterRedis: Redis;
let rateLimitPrefix: string;
const tokens: Record<string, string> = {};

/** Read-model calls per method: a spy on the real read model, to see how many round trips a query costs. */
const calls = new Map<string, number>();
function counting(readModel: ReadModel): ReadModel {
  return new Proxy(readModel, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  const namespace = `t${randomBytes(5).toString('hex')}`;
  const config = loadQueryConfig({
    ...process.env,
    NODE_ENV: 'test',
    CM_NAMESPACE: namespace,
    DATABASE_SCHEMA: `t_${randomBytes(5).toString('hex')}`,
    JWT_SECRET,
    MIN_SEQ_TIMEOUT_MS: '5000',
    PROJECTOR_BATCH_SIZE: '100',
  });
  names = natsNames(namespace);
  registry = createMetrics('graphql-api-test');
  nats = await connectNats(config.NATS_URL, 'graphql-api-test', logger);
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  service = await startCommandService(namespace);
  db = await openDatabase(config, logger);
  await db.migrateUp();
  projector = await startProjector({ config, logger, nats, names, db, registry });
  // Rate limits in Redis (DB 11, this run's prefix) with budgets no case reaches, except the user 'spent'.
  limiterRedis = new Redis(config.REDIS_URL, { db: 11, enableOfflineQueue: false });
  await new Promise((resolve) => limiterRedis.once('ready', resolve));
  const rateLimits = new RateLimits({
    redis: limiterRedis,
    logger,
    keyPrefix: `${namespace}:`,
    settings: {
      windowSeconds: 60,
      tiers: { strict: 1000, standard: 100_000, relaxed: 100_000 },
      budgets: { query: 'relaxed', mutation: 'standard', anonymous: 'strict' },
    },
  });
  await rateLimits.charge('spent', 'query', 100_000);
  rateLimitPrefix = `${namespace}:`;
  api = await createApi({ config, logger, nats, names, readModel: counting(db.readModel), registry, rateLimits });
  server = http.createServer((req, res) => api.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  for (const user of ['alice', 'bob', 'mallory', 'spent']) tokens[user] = await signToken(JWT_SECRET, user);
  // Signed with the right secret, but issued an hour from now.
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256' })}.${part({ sub: 'alice', iss: 'campaign-manager', iat: now + 3600, exp: now + 7200 })}`;
  tokens['future'] = `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
});

afterAll(async () => {
  await closeServer(server);
  await api?.close();
  await projector?.stop();
  await db?.sql.run(`drop schema if exists "${db.schema}" cascade`).catch(() => undefined);
  await db?.close();
  await service?.stop();
  if (limiterRedis) {
    const [, keys] = await limiterRedis.scan('0', 'MATCH', `${rateLimitPrefix}*`, 'COUNT', 10_000);
    if (keys.length) await limiterRedis.del(...keys);
    limiterRedis.disconnect();
  }
  await nats?.jsm.streams.delete(names.eventStream).catch(() => undefined);
  await nats?.jsm.streams.delete(`KV_${names.leaseBucket}`).catch(() => undefined);
  await closeNats(nats);
});

interface Response<T> {
  status: number;
  data?: T;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; details?: Record<string, unknown> } }[];
}

async function gql<T = any>(
  user: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Response<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[user]}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as Omit<Response<T>, 'status'>) };
}

async function ok<T = any>(user: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const r = await gql<T>(user, query, variables);
  if (r.errors?.length || !r.data) throw new Error(`operation failed: ${JSON.stringify(r.errors)}\n${query}`);
  return r.data;
}

const codes = (r: Response<unknown>) => (r.errors ?? []).map((e) => e.extensions?.code);

const fastCount = async () =>
  Number(/cm_graphql_fast_path_total(?:\{[^}]*\})? (\d+)/.exec(await registry.metrics())?.[1] ?? 0);

/** What `send` answered, and by how much it moved each `cm_graphql_operations_total` series. */
async function counted<T>(send: () => Promise<T>): Promise<[T, Record<string, number>]> {
  const series = async () => {
    const out = new Map<string, number>();
    for (const m of (await registry.metrics()).matchAll(/^cm_graphql_operations_total(\{[^}]*\}) (\d+)$/gm))
      out.set(m[1]!, Number(m[2]));
    return out;
  };
  const before = await series();
  const answer = await send();
  const moved: Record<string, number> = {};
  for (const [labels, n] of await series())
    if (n !== (before.get(labels) ?? 0)) moved[labels] = n - (before.get(labels) ?? 0);
  return [answer, moved];
}
const streamHead = async () => (await nats.jsm.streams.info(names.eventStream)).state.last_seq;

const C = `camp-${randomBytes(3).toString('hex')}`;
let lastSeq = 0;
const track = <T extends Record<string, { seq: number }>>(data: T): T => {
  for (const r of Object.values(data)) lastSeq = Math.max(lastSeq, r.seq);
  return data;
};

describe('the GraphQL API over the real system', () => {
  beforeEach(() => calls.clear());

  it('creates a campaign and returns it as the read model holds it once applied', async () => {
    const data = track(
      await ok(
        'alice',
        `mutation($id: ID!) { createCampaign(id: $id, name: "The Shattered Crown") { seq commitId aggregateVersion duplicate campaign { id name ownerId archived myRole members { userId role } branches { id } seq } } }`,
        { id: C },
      ),
    );
    const result = data.createCampaign;
    expect(result).toMatchObject({ aggregateVersion: 1, duplicate: false });
    expect(result.campaign).toEqual({
      id: C,
      name: 'The Shattered Crown',
      ownerId: 'alice',
      archived: false,
      myRole: 'OWNER',
      members: [{ userId: 'alice', role: 'OWNER' }],
      branches: [{ id: 'main' }],
      seq: result.seq,
    });
  });

  it('builds a world, and a nested read costs one read-model call per level', async () => {
    const v = { c: C };
    for (const k of ['north', 'south', 'east']) {
      track(
        await ok(
          'alice',
          `mutation($c: ID!, $id: ID!, $n: String!) { createKingdom(campaignId: $c, id: $id, name: $n) { seq kingdom { id name branchId } } }`,
          { ...v, id: k, n: k },
        ),
      );
      track(
        await ok(
          'alice',
          `mutation($c: ID!, $id: ID!, $g: GeoJSON!) { createLocation(campaignId: $c, id: $id, name: "Place", geometry: $g) { seq } }`,
          { ...v, id: `${k}-loc`, g: { type: 'Point', coordinates: [12.3456789, 45.1] } },
        ),
      );
      for (const s of [1, 2]) {
        const sid = `${k}-town-${s}`;
        track(
          await ok(
            'alice',
            `mutation($c: ID!, $id: ID!, $k: ID!, $l: ID!) { createSettlement(campaignId: $c, id: $id, kingdomId: $k, locationId: $l, name: "Town", level: 2) { seq } }`,
            { ...v, id: sid, k, l: `${k}-loc` },
          ),
        );
        track(
          await ok(
            'alice',
            `mutation($c: ID!, $s: ID!) { createStructure(campaignId: $c, id: "keep-${sid}", settlementId: $s, name: "Keep", structureType: "fortress") { seq structure { level condition } } }`,
            { ...v, s: sid },
          ),
        );
        track(
          await ok(
            'alice',
            `mutation($c: ID!, $s: ID!) { setStateVariable(campaignId: $c, ownerType: SETTLEMENT, ownerId: $s, key: "population", value: { type: NUMBER, value: 1200 }) { seq variable { ownerType type value } } }`,
            { ...v, s: sid },
          ),
        );
      }
    }
    calls.clear();
    const tree = await gql(
      'alice',
      `query($c: ID!, $m: Int) { campaign(id: $c, minSeq: $m) { kingdoms { nodes { id settlements { nodes { id level location { id geometry } structures { nodes { id structureType condition } } variables { nodes { key type value ownerType } } } } } } } }`,
      { c: C, m: lastSeq },
    );
    expect(tree.errors).toBeUndefined();
    const kingdoms = tree.data.campaign.kingdoms.nodes;
    expect(kingdoms.map((k: any) => k.id).sort()).toEqual(['east', 'north', 'south']);
    const town = kingdoms
      .find((k: any) => k.id === 'north')
      .settlements.nodes.find((s: any) => s.id === 'north-town-1');
    expect(town.location.geometry.type).toBe('Point');
    expect(town.location.geometry.coordinates[0]).toBeCloseTo(12.3456789, 6);
    expect(town.structures.nodes).toEqual([{ id: 'keep-north-town-1', structureType: 'fortress', condition: 100 }]);
    expect(town.variables.nodes).toEqual([{ key: 'population', type: 'NUMBER', value: 1200, ownerType: 'SETTLEMENT' }]);
    // 3 kingdoms, 6 settlements, 6 locations: still one call per loader and level (four levels of pages).
    expect(calls.get('locationsByKeys'), 'locationsByKeys').toBe(1);
    expect(calls.get('listPages'), 'listPages').toBe(4);
  });

  // A campaign that does not exist answers as one the caller is not a member of (existence.int.spec.ts: every field).
  it('refuses invalid geometry at the command with VALIDATION naming the problem', async () => {
    const bowTie = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [10, 10],
          [10, 0],
          [0, 10],
          [0, 0],
        ],
      ],
    };
    const create = `mutation($c: ID!, $g: GeoJSON!) { createLocation(campaignId: $c, name: "Knot", geometry: $g) { seq } }`;
    const crossed = await gql('alice', create, { c: C, g: bowTie });
    expect(codes(crossed)).toEqual(['VALIDATION']);
    expect(crossed.errors?.[0]?.message).toMatch(/self-intersecting polygon: ring 0 intersects itself/);
    const polar = await gql('alice', create, { c: C, g: { type: 'Point', coordinates: [0, 90.5] } });
    expect(codes(polar)).toEqual(['VALIDATION']);
    expect(polar.errors?.[0]?.message).toMatch(/latitude must be between -90 and 90/);
  });

  it('keeps campaigns private: FORBIDDEN for a stranger, whether the campaign exists or not', async () => {
    expect(codes(await gql('mallory', `query($c: ID!) { campaign(id: $c) { id } }`, { c: C }))).toEqual(['FORBIDDEN']);
    expect(
      codes(await gql('mallory', `query($c: ID!) { kingdoms(campaignId: $c) { nodes { id } } }`, { c: C })),
    ).toEqual(['FORBIDDEN']);
    expect(
      codes(await gql('mallory', `query($c: ID!) { kingdom(campaignId: $c, id: "north") { id } }`, { c: C })),
    ).toEqual(['FORBIDDEN']);
    expect(codes(await gql('mallory', `{ campaign(id: "no-such-campaign") { id } }`))).toEqual(['FORBIDDEN']);
    expect(codes(await gql('mallory', `{ kingdoms(campaignId: "no-such-campaign") { nodes { id } } }`))).toEqual([
      'FORBIDDEN',
    ]);
    expect(await ok('mallory', `{ me { id } campaigns { id } }`)).toEqual({ me: { id: 'mallory' }, campaigns: [] });
  });

  it('lets any member read, and leaves writing to the roles the command service allows', async () => {
    track(
      await ok(
        'alice',
        `mutation($c: ID!) { addCampaignMember(campaignId: $c, userId: "bob", role: VIEWER) { seq campaign { members { userId role } } } }`,
        { c: C },
      ),
    );
    const read = await gql(
      'bob',
      `query($c: ID!) { campaigns { id myRole } kingdom(campaignId: $c, id: "north") { name } }`,
      { c: C },
      { 'x-min-seq': String(lastSeq) },
    );
    expect(read.data).toEqual({ campaigns: [{ id: C, myRole: 'VIEWER' }], kingdom: { name: 'north' } });
    const write = await gql(
      'bob',
      `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "north", name: "Mine") { seq } }`,
      { c: C },
    );
    expect(codes(write)).toEqual(['FORBIDDEN']);
  });

  it('answers refused commands with their code and sends nothing for bad ids', async () => {
    const head = await streamHead();
    expect(
      codes(
        await gql('alice', `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "atlantis", name: "x") { seq } }`, {
          c: C,
        }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      codes(
        await gql('alice', `mutation($c: ID!) { createKingdom(campaignId: $c, id: "north", name: "x") { seq } }`, {
          c: C,
        }),
      ),
    ).toEqual(['ALREADY_EXISTS']);
    const dotted = await gql(
      'alice',
      `mutation($c: ID!) { createKingdom(campaignId: $c, id: "a.b", name: "x") { seq } }`,
      { c: C },
    );
    expect(codes(dotted)).toEqual(['VALIDATION']);
    expect(dotted.errors![0]!.extensions!.details).toMatchObject({ argument: 'id' });
    expect(
      codes(
        await gql(
          'alice',
          `mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "north-town-1", level: -5) { seq } }`,
          { c: C },
        ),
      ),
    ).toEqual(['VALIDATION']);
    expect(codes(await gql('alice', `{ kingdoms(campaignId: "x>y") { nodes { id } } }`))).toEqual(['VALIDATION']);
    expect(await streamHead()).toBe(head);
  });

  it('returns deleted entities as null, and a retried command id as the first result', async () => {
    const del = track(
      await ok(
        'alice',
        `mutation($c: ID!) { deleteStructure(campaignId: $c, id: "keep-south-town-2") { seq structure { id } } }`,
        { c: C },
      ),
    );
    expect(del.deleteStructure.structure).toBeNull();
    const retry = `mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "south-town-1", level: 7, commandId: "lvl-${C}") { seq commitId duplicate settlement { level } } }`;
    const first = track(await ok('alice', retry, { c: C }));
    const second = await ok('alice', retry, { c: C });
    expect(first.setSettlementLevel).toMatchObject({ duplicate: false, settlement: { level: 7 } });
    expect(second.setSettlementLevel).toEqual({ ...first.setSettlementLevel, duplicate: true });
  });

  it('forks a branch whose entities start as a copy of main', async () => {
    const fork = track(
      await ok(
        'alice',
        `mutation($c: ID!) { forkBranch(campaignId: $c, id: "what-if", name: "What if") { seq branch { id campaignId parentBranchId forkedAtSeq name } } }`,
        { c: C },
      ),
    );
    expect(fork.forkBranch.branch).toMatchObject({
      id: 'what-if',
      campaignId: C,
      parentBranchId: 'main',
      name: 'What if',
    });
    track(
      await ok(
        'alice',
        `mutation($c: ID!) { renameKingdom(campaignId: $c, branchId: "what-if", id: "north", name: "Usurped") { seq kingdom { name branchId } } }`,
        { c: C },
      ),
    );
    const data = await ok(
      'alice',
      `query($c: ID!, $m: Int) { branches(campaignId: $c, minSeq: $m) { id } alt: kingdom(campaignId: $c, branchId: "what-if", id: "north") { name } main: kingdom(campaignId: $c, id: "north") { name } }`,
      { c: C, m: lastSeq },
    );
    expect(data.branches.map((b: any) => b.id).sort()).toEqual(['main', 'what-if']);
    expect(data).toMatchObject({ alt: { name: 'Usurped' }, main: { name: 'north' } });
  });

  it('maps enums and JSON of world events and field conditions both ways', async () => {
    const v = { c: C };
    const effects = [
      { ownerType: 'SETTLEMENT', ownerId: 'north-town-1', key: 'gold', value: { type: 'NUMBER', value: -10 } },
    ];
    const scheduled = track(
      await ok(
        'alice',
        `mutation($c: ID!, $e: [EffectInput!]) { scheduleWorldEvent(campaignId: $c, id: "flood", name: "Flood", scheduledAt: "2030-01-01T00:00:00Z", effects: $e) { seq worldEvent { status effects expiresAt } } }`,
        { ...v, e: effects },
      ),
    );
    expect(scheduled.scheduleWorldEvent.worldEvent).toEqual({ status: 'SCHEDULED', effects, expiresAt: null });
    const expression = { '>': [{ var: 'level' }, 3] };
    const defined = track(
      await ok(
        'alice',
        `mutation($c: ID!, $x: JSON!) { defineFieldCondition(campaignId: $c, id: "big", entityType: SETTLEMENT, field: "isCity", expression: $x) { seq fieldCondition { entityType entityId expression priority active } } }`,
        { ...v, x: expression },
      ),
    );
    expect(defined.defineFieldCondition.fieldCondition).toEqual({
      entityType: 'SETTLEMENT',
      entityId: null,
      expression,
      priority: 0,
      active: true,
    });
    const filtered = await ok(
      'alice',
      `query($c: ID!, $m: Int) { fieldConditions(campaignId: $c, entityType: SETTLEMENT, minSeq: $m) { nodes { id } } none: fieldConditions(campaignId: $c, entityType: KINGDOM) { nodes { id } } }`,
      { ...v, m: lastSeq },
    );
    expect(filtered).toEqual({ fieldConditions: { nodes: [{ id: 'big' }] }, none: { nodes: [] } });
  });

  it('answers STALE_READ at once for a sequence that was never written', async () => {
    const started = performance.now();
    expect(
      codes(
        await gql('alice', `query($c: ID!) { kingdoms(campaignId: $c, minSeq: 999999999) { nodes { id } } }`, { c: C }),
      ),
    ).toEqual(['STALE_READ']);
    expect(codes(await gql('alice', `{ campaigns { id } }`, undefined, { 'x-min-seq': '999999999' }))).toEqual([
      'STALE_READ',
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('answers a query text it has seen on the fast path exactly as yoga answered it the first time', async () => {
    const strict = { accept: 'application/graphql-response+json' };
    const cases: {
      user: string;
      query: string;
      variables?: Record<string, unknown>;
      headers?: Record<string, string>;
      operationName?: string;
      fast: boolean;
    }[] = [
      {
        user: 'alice',
        query: `query($c: ID!) { kingdoms(campaignId: $c) { nodes { id name } } }`,
        variables: { c: C },
        fast: true,
      },
      {
        user: 'alice',
        query: `query($c: ID!) { kingdoms(campaignId: $c) { nodes { id name } } }`,
        variables: { c: C },
        headers: { ...strict, origin: 'http://localhost:5173' },
        fast: true,
      },
      { user: 'mallory', query: `query($c: ID!) { campaign(id: $c) { name } }`, variables: { c: C }, fast: true },
      {
        user: 'alice',
        query: `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "atlantis", name: "x") { seq } }`,
        variables: { c: C },
        headers: strict,
        fast: true,
      },
      {
        user: 'alice',
        query: `mutation($c: ID!) { createKingdom(campaignId: $c, id: "a.b", name: "x") { seq } }`,
        variables: { c: C },
        fast: true,
      },
      // Variable coercion fails before execution: a request error, whose status depends on the media type.
      {
        user: 'alice',
        query: `mutation($c: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: "north-town-1", level: $l) { seq } }`,
        variables: { c: C, l: 'high' },
        fast: true,
      },
      {
        user: 'alice',
        query: `mutation($c: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: "north-town-1", level: $l) { seq } }`,
        variables: { c: C },
        headers: strict,
        fast: true,
      },
      {
        user: 'alice',
        query: `query A { campaigns { id } } query B($c: ID!) { kingdoms(campaignId: $c) { nodes { id } } }`,
        variables: { c: C },
        operationName: 'B',
        fast: true,
      },
      // Never on the fast path: no token, an operation name that selects nothing, a query that fails validation.
      { user: 'nobody', query: `{ campaigns { id } }`, fast: false },
      { user: 'future', query: `{ campaigns { id } }`, fast: false },
      {
        user: 'alice',
        query: `{ campaigns { kingdoms { nodes { settlements { nodes { structures { nodes { settlement { kingdom { settlements { nodes { id } } } } } } } } } } } }`,
        fast: false,
      },
      { user: 'alice', query: `query A { campaigns { id } }`, operationName: 'Z', fast: false },
      { user: 'alice', query: `{ campaigns { nope } }`, fast: false },
    ];
    for (const [i, c] of cases.entries()) {
      // A comment makes each case's text new to the fast path, so the first send goes through yoga.
      const body = JSON.stringify({
        query: `${c.query} # parity ${i} ${C}`,
        variables: c.variables,
        ...(c.operationName ? { operationName: c.operationName } : {}),
      });
      const send = async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(tokens[c.user] ? { authorization: `Bearer ${tokens[c.user]}` } : {}),
            ...c.headers,
          },
          body,
        });
        const h = (name: string) => res.headers.get(name);
        return {
          status: res.status,
          type: h('content-type'),
          cors: [h('access-control-allow-origin'), h('access-control-allow-credentials'), h('vary')],
          body: await res.text(),
        };
      };
      const before = await fastCount();
      const [viaYoga, yogaCounted] = await counted(send);
      expect(await fastCount(), `case ${i}: the first send goes to yoga`).toBe(before);
      const [second, secondCounted] = await counted(send);
      expect(await fastCount(), `case ${i}: the second send ${c.fast ? 'takes' : 'does not take'} the fast path`).toBe(
        before + (c.fast ? 1 : 0),
      );
      expect(second, `case ${i}: ${c.query}`).toEqual(viaYoga);
      expect(secondCounted, `case ${i}: the metrics step counts both alike`).toEqual(yogaCounted);
    }
  });

  it('runs every request step alike on both paths, and a step that refuses refuses on both', async () => {
    // yoga answers a body of unknown length (chunked); the same body with a Content-Length is the fast path's.
    const send = async (body: string, user: string, chunked: boolean) => {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${tokens[user]}` };
      const init: RequestInit = chunked
        ? ({ method: 'POST', headers, body: new Blob([body]).stream(), duplex: 'half' } as RequestInit)
        : { method: 'POST', headers, body };
      const res = await fetch(url, init);
      const h = (name: string) => res.headers.get(name);
      return { status: res.status, type: h('content-type'), connection: h('connection'), body: await res.text() };
    };
    const query = `query($c: ID!) { kingdoms(campaignId: $c) { nodes { id } } } # steps ${C}`;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20; i++) deep = { deeper: deep };
    const cases: { step: string; user?: string; body: string; code?: string; status?: number }[] = [
      { step: 'none refuses (error codes, metrics)', body: JSON.stringify({ query, variables: { c: C } }) },
      {
        step: 'error codes of a refused read',
        user: 'mallory',
        body: JSON.stringify({ query, variables: { c: C } }),
        code: 'FORBIDDEN',
      },
      // graphql-js ignores a variable the operation does not declare: only the step stands in the way.
      {
        step: 'variables-limit (depth)',
        body: JSON.stringify({ query, variables: { c: C, unused: deep } }),
        code: 'VALIDATION',
        status: 400,
      },
      {
        step: 'variables-limit (size)',
        body: JSON.stringify({ query, variables: { c: C, unused: 'x'.repeat(600_000) } }),
        code: 'PAYLOAD_TOO_LARGE',
        status: 413,
      },
      {
        step: 'rate-limit',
        user: 'spent',
        body: JSON.stringify({ query, variables: { c: C } }),
        code: 'RATE_LIMITED',
        status: 429,
      },
      {
        step: 'body-limit',
        body: JSON.stringify({ query, variables: { c: C, unused: 'x'.repeat(1_100_000) } }),
        code: 'PAYLOAD_TOO_LARGE',
        status: 413,
      },
    ];
    // The query text is approved, so the fast path would answer every case if its steps let it.
    expect(codes(await gql('alice', query, { c: C }))).toEqual([]);
    for (const c of cases) {
      const [viaYoga, yogaCounted] = await counted(() => send(c.body, c.user ?? 'alice', true));
      const before = await fastCount();
      const [fast, fastCounted] = await counted(() => send(c.body, c.user ?? 'alice', false));
      // A refusing step hands the request to yoga (whose plugin refuses it); anything else the fast path answers.
      expect(await fastCount(), c.step).toBe(before + (c.status ? 0 : 1));
      expect(fast, c.step).toEqual(viaYoga);
      expect(fastCounted, `${c.step}: metrics`).toEqual(yogaCounted);
      const answer = JSON.parse(viaYoga.body) as Response<unknown>;
      expect(codes(answer), c.step).toEqual(c.code ? [c.code] : []);
      if (c.status) expect(viaYoga.status, c.step).toBe(c.status);
    }
  });

  it('counts forwarded commands and operations', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/cm_graphql_commands_forwarded_total\{type="kingdom.create",code="ok"[^}]*\} [1-9]/);
    expect(text).toMatch(/cm_graphql_commands_forwarded_total\{type="kingdom.rename",code="FORBIDDEN"[^}]*\} 1/);
    expect(text).toMatch(/cm_graphql_operations_total\{type="mutation",outcome="ok"[^}]*\} [1-9]/);
  });
});
