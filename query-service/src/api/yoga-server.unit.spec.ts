import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, signToken, type Registry } from '@cm/platform';
import { ApiMetrics } from './api.metrics.js';
import type { ApiServices } from './graphql-context.js';
import { DEMO_QUERY, DEMO_WRITE_AND_READ } from './graphiql.js';
import { requestStep } from './request-steps.js';
import { createYogaServer, type YogaServer } from './yoga-server.js';

// The HTTP edge without I/O: every request here fails before a resolver runs (token, syntax, validation,
// limits, variable coercion), so the collaborators behind the resolvers must never be touched.
const untouchable = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_, prop) => {
      throw new Error(`${name}.${String(prop)} must not be reached by a request that fails at the edge`);
    },
  });

const SECRET = 'unit-test-secret-0123456789';
let yoga: YogaServer;
let registry: Registry;
let token: string;

beforeAll(async () => {
  registry = createMetrics('query-service-test');
  const services: ApiServices = {
    readModel: untouchable('readModel'),
    commands: untouchable('commands'),
    tracker: untouchable('tracker'),
    jwtSecret: SECRET,
    minSeqTimeoutMs: 100,
    newId: () => 'id-1',
  };
  yoga = createYogaServer({
    services,
    metrics: new ApiMetrics(registry),
    logger: createLogger('query-service-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    limits: { maxDepth: 4, maxAliases: 2, maxTokens: 200, maxCost: 40 },
    graphiql: false,
  });
  token = await signToken(SECRET, 'alice');
});

interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await yoga.fetch('http://localhost/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      authorization: `Bearer ${token}`,
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Body;
  return { status: res.status, body, codes: (body.errors ?? []).map((e) => e.extensions?.code) };
}

describe('the GraphQL edge', () => {
  it.each([
    ['no token', { authorization: '' }],
    ['a garbage token', { authorization: 'Bearer not-a-jwt' }],
    [
      'a token signed with another secret',
      { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.c2lnbmF0dXJl' },
    ],
    ['a basic auth header', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
  ])('answers %s with UNAUTHENTICATED and HTTP 401', async (_name, headers) => {
    const r = await post('{ me { id } }', undefined, headers);
    expect(r.status).toBe(401);
    expect(r.codes).toEqual(['UNAUTHENTICATED']);
    expect(r.body.data).toBeUndefined();
  });

  it.each([
    ['a syntax error', 'query { campaigns { id }', undefined],
    ['an unknown field', '{ campaigns { id nope } }', undefined],
    ['a missing required argument', 'mutation { createKingdom(name: "x") { seq } }', undefined],
    [
      'a literal of the wrong type',
      'mutation { setSettlementLevel(campaignId: "c", id: "s", level: "high") { seq } }',
      undefined,
    ],
    [
      'an unknown enum value',
      'mutation { setStateVariable(campaignId: "c", ownerType: PLANET, ownerId: "p", key: "k", value: { type: NUMBER, value: 1 }) { seq } }',
      undefined,
    ],
    [
      'a GeoJSON literal that is not an object',
      'mutation { createLocation(campaignId: "c", name: "x", geometry: 5) { seq } }',
      undefined,
    ],
    [
      'a variable of the wrong type',
      'mutation($l: Int!) { setSettlementLevel(campaignId: "c", id: "s", level: $l) { seq } }',
      { l: 'high' },
    ],
    ['a missing variable', 'query($id: ID!) { campaign(id: $id) { id } }', {}],
    [
      'a GeoJSON variable that is not an object',
      'mutation($g: GeoJSON!) { createLocation(campaignId: "c", name: "x", geometry: $g) { seq } }',
      { g: 'POINT(1 2)' },
    ],
  ])('answers %s with VALIDATION', async (_name, query, variables) => {
    const r = await post(query, variables);
    expect(r.codes.length).toBeGreaterThan(0);
    expect(new Set(r.codes)).toEqual(new Set(['VALIDATION']));
    expect(r.status).toBe(400);
    for (const e of r.body.errors!) expect(e.message).not.toMatch(/\bat .*\.[jt]s:\d+/);
  });

  it('answers a body that is not JSON with VALIDATION', async () => {
    const res = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{"query": ',
    });
    const body = (await res.json()) as Body;
    expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['VALIDATION']);
  });

  it('refuses a body whose Content-Length is over the limit with HTTP 413, and a malformed one with 400', async () => {
    const send = (contentLength: string) =>
      yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': contentLength,
        },
        body: '{"query":"{ __typename }"}',
      });
    expect((await send('25000001')).status).toBe(413);
    expect((await send('12, 12')).status).toBe(400);
  });

  it('answers a malformed x-min-seq header with VALIDATION', async () => {
    const r = await post('{ me { id } }', undefined, { 'x-min-seq': 'soon' });
    expect(r.codes).toEqual(['VALIDATION']);
  });

  it.each([
    [
      'depth',
      '{ campaigns { kingdoms { nodes { settlements { nodes { structures { nodes { settlement { id } } } } } } } } }',
      /depth limit of 4/,
    ],
    ['aliases', '{ a: me { id } b: me { id } c: me { id } }', /Aliases limit of 2/],
    ['tokens', `{ ${Array.from({ length: 120 }, (_, i) => `f${i}: me { id }`).join(' ')} }`, /Token limit of 200/],
    [
      'cost',
      '{ campaigns { kingdoms { nodes { id name campaignId branchId seq settlements { nodes { id name level kingdomId locationId seq campaignId branchId } } } } } }',
      /cost/i,
    ],
  ])('answers a query over the %s limit with QUERY_TOO_COMPLEX', async (_name, query, message) => {
    const r = await post(query);
    expect(r.codes).toContain('QUERY_TOO_COMPLEX');
    expect(new Set(r.codes)).toEqual(new Set(['QUERY_TOO_COMPLEX']));
    expect(r.body.errors!.map((e) => e.message).join(' ')).toMatch(message);
    expect(r.body.errors!.map((e) => e.message).join(' ')).not.toMatch(/Syntax Error/);
  });

  it('counts operations by type and outcome', async () => {
    await post('mutation { archiveCampaign(id: "c") { seq } }', undefined, { authorization: '' });
    await post('query { campaigns { id }');
    const text = await registry.metrics();
    // Authentication comes after parsing, so the operation type is known; a syntax error leaves it unknown.
    expect(text).toMatch(
      /cm_graphql_operations_total\{type="mutation",outcome="UNAUTHENTICATED",service="query-service-test"\} [1-9]/,
    );
    expect(text).toMatch(
      /cm_graphql_operations_total\{type="unknown",outcome="VALIDATION",service="query-service-test"\} [1-9]/,
    );
    expect(text).toMatch(
      /cm_graphql_operation_duration_seconds_count\{service="query-service-test",type="query",outcome="QUERY_TOO_COMPLEX"\} [1-9]/,
    );
  });
});

describe('request steps', () => {
  const options = () => ({
    services: {
      readModel: untouchable<ApiServices['readModel']>('readModel'),
      commands: untouchable<ApiServices['commands']>('commands'),
      tracker: untouchable<ApiServices['tracker']>('tracker'),
      jwtSecret: SECRET,
      minSeqTimeoutMs: 100,
      newId: () => 'id-1',
    },
    metrics: new ApiMetrics(createMetrics('steps-test')),
    logger: createLogger('query-service-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    limits: { maxDepth: 4, maxAliases: 2, maxTokens: 200, maxCost: 40 },
    graphiql: false,
  });

  it('refuses at start-up a yoga plugin that is not part of a request step', () => {
    const cacheStatistics = { onExecute() {} };
    expect(() => createYogaServer({ ...options(), plugins: [cacheStatistics] })).toThrow(
      /yoga plugin #\d+ \(hooks: onExecute\) is not part of a request step.*request-steps\.ts/,
    );
  });

  it('refuses a step with yoga plugins and no fast-path side', () => {
    expect(() => requestStep({ name: 'rate-limit', plugins: [{ onExecute() {} }], fast: {} })).toThrow(
      /request step "rate-limit" has yoga plugins but no fast-path side/,
    );
    const declared = requestStep({
      name: 'tracing',
      plugins: [{ onExecute() {} }],
      fast: { answered: () => undefined },
    });
    expect(() => createYogaServer({ ...options(), plugins: [...declared.plugins] })).not.toThrow();
  });
});

describe('request limits', () => {
  it('answers a token issued in the future with UNAUTHENTICATED and HTTP 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256' })}.${part({ sub: 'alice', iss: 'campaign-manager', iat: now + 3 * 365 * 86400, exp: now + 4 * 365 * 86400 })}`;
    const future = `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
    const r = await post('{ me { id } }', undefined, { authorization: `Bearer ${future}` });
    expect(r.status).toBe(401);
    expect(r.codes).toEqual(['UNAUTHENTICATED']);
  });

  it('answers a body over the limit with PAYLOAD_TOO_LARGE and HTTP 413', async () => {
    const res = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': '30000000' },
      body: '{"query":"{ __typename }"}',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Body).errors?.map((e) => e.extensions?.code)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('answers variables nested too deep with VALIDATION, and too large with PAYLOAD_TOO_LARGE', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 13; i++) deep = [deep];
    const tooDeep = await post('query($id: ID!) { campaign(id: $id) { id } }', { id: 'c', g: deep });
    expect(tooDeep.codes).toEqual(['VALIDATION']);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.errors?.[0]?.message).toMatch(/variables nested deeper than 12 levels/);
    const tooLarge = await post('query($id: ID!) { campaign(id: $id) { id } }', { id: 'c', pad: 'x'.repeat(600_000) });
    expect(tooLarge.codes).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(tooLarge.status).toBe(413);
  });
});

describe('GraphiQL', () => {
  it('is served in development with its assets inlined (no CDN), and not at all when disabled', async () => {
    const dev = createYogaServer({
      services: {
        readModel: untouchable('readModel'),
        commands: untouchable('commands'),
        tracker: untouchable('tracker'),
        jwtSecret: SECRET,
        minSeqTimeoutMs: 100,
        newId: () => 'id-1',
      },
      metrics: new ApiMetrics(createMetrics('graphiql-test')),
      logger: createLogger('query-service-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
      limits: { maxDepth: 4, maxAliases: 2, maxTokens: 200, maxCost: 40 },
      graphiql: true,
    });
    const page = await dev.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('YogaGraphiQL');
    expect(html).not.toMatch(/https?:\/\/unpkg\.com/);
    const off = await yoga.fetch('http://localhost/graphql', { headers: { accept: 'text/html' } });
    expect(await off.text()).not.toContain('YogaGraphiQL');
  });

  it('opens on the demo campaign, signed in as its game master when given a token, and its documents validate', async () => {
    // The production limits: the demo documents must run where users open them.
    const serve = (graphiqlToken?: () => Promise<string>) =>
      createYogaServer({
        services: {
          readModel: untouchable('readModel'),
          commands: untouchable('commands'),
          tracker: untouchable('tracker'),
          jwtSecret: SECRET,
          minSeqTimeoutMs: 100,
          newId: () => 'id-1',
        },
        metrics: new ApiMetrics(createMetrics('graphiql-demo-test')),
        logger: createLogger('query-service-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
        limits: { maxDepth: 10, maxAliases: 30, maxTokens: 5000, maxCost: 20000 },
        graphiql: true,
        ...(graphiqlToken ? { graphiqlToken } : {}),
      });
    const page = async (graphiqlToken?: () => Promise<string>) =>
      (await serve(graphiqlToken).fetch('http://localhost/graphql', { headers: { accept: 'text/html' } })).text();
    const demoToken = await signToken(SECRET, 'demo-gm');
    const signedIn = await page(async () => demoToken);
    expect(signedIn).toContain('Campaign Manager GraphQL');
    expect(signedIn).toContain(
      JSON.stringify(JSON.stringify({ Authorization: `Bearer ${demoToken}` }, null, 2)).slice(1, -1),
    );
    expect(signedIn).toContain('campaign(id: \\"shattered-crown\\")');
    const signedOut = await page();
    expect(signedOut).toContain('campaign(id: \\"shattered-crown\\")');
    expect(signedOut).not.toContain('Bearer');
    // Both tabs are valid against the schema (a valid document without a token is refused only as UNAUTHENTICATED).
    for (const query of [DEMO_QUERY, DEMO_WRITE_AND_READ]) {
      for (const operationName of [...query.matchAll(/^(?:query|mutation) (\w+)/gm)].map((m) => m[1])) {
        const res = await serve().fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query, operationName }),
        });
        expect(
          ((await res.json()) as Body).errors?.map((e) => e.extensions?.code),
          operationName,
        ).toEqual(['UNAUTHENTICATED']);
      }
    }
  });
});
