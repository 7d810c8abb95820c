import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isolatedNames, startSystem, type System } from '@cm/infra';
import { encodeCommit, natsNames } from '@cm/contracts';
import { closeTestNats, connectTestNats, GraphQLClient, WORKSPACE } from '@cm/testkit';

// Computed fields through the whole system: command-service, query-service and two rules-service processes
// side by side (the launcher's and one of our own, same namespace, same queue group), driven over GraphQL.
let system: System;
let gm: GraphQLClient;
let second: ChildProcess | undefined;
let secondUrl: string;
const C = 'cf';

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

async function ready(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`${url} not ready`);
    await sleep(100);
  }
}

async function startSecondRules(): Promise<void> {
  const port = await freePort();
  secondUrl = `http://127.0.0.1:${port}`;
  second = spawn(process.execPath, [join(WORKSPACE, 'rules-service/dist/main.js')], {
    cwd: WORKSPACE,
    env: { ...process.env, ...system.env, RULES_OPS_PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  await ready(secondUrl);
}

const rulesUrls = () => [system.urls['rules-service']!, secondUrl];
const rulesRequests = async () =>
  (await Promise.all(rulesUrls().map((u) => metric(u, 'cm_rules_request_duration_seconds_count')))).reduce(
    (a, b) => a + b,
    0,
  );

const mutate = async (query: string, variables: Record<string, unknown> = {}): Promise<number> => {
  const data = await gm.ok<Record<string, { seq: number }>>(query, { c: C, ...variables });
  return Object.values(data)[0]!.seq;
};

const SETTLEMENT = /* GraphQL */ `
  query ($c: ID!, $id: ID!, $minSeq: Int) {
    settlement(campaignId: $c, id: $id, minSeq: $minSeq) {
      id
      computed(field: "wealth") {
        value
        error {
          code
        }
      }
    }
  }
`;

beforeAll(async () => {
  system = await startSystem({
    ...isolatedNames('cf'),
    services: ['command-service', 'query-service', 'rules-service'],
    env: { LOG_LEVEL: 'warn' },
  });
  gm = new GraphQLClient(system.graphqlUrl).withToken(await system.token('gm'));
  await startSecondRules();
  await mutate(`mutation($c: ID!) { createCampaign(id: $c, name: "Computed") { seq } }`);
  await mutate(`mutation($c: ID!) { createKingdom(campaignId: $c, id: "k1", name: "Avalon") { seq } }`);
  await mutate(
    `mutation($c: ID!) { createLocation(campaignId: $c, id: "l1", name: "Vale", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
  );
  for (const s of ['s1', 's2', 's3']) {
    await mutate(
      `mutation($c: ID!, $s: ID!) { createSettlement(campaignId: $c, id: $s, kingdomId: "k1", locationId: "l1", name: "Town", level: 2) { seq } }`,
      { s },
    );
    for (const n of [1, 2]) {
      await mutate(
        `mutation($c: ID!, $id: ID!, $s: ID!, $l: Int!) { createStructure(campaignId: $c, id: $id, settlementId: $s, name: "Mill", structureType: "mill", level: $l) { seq } }`,
        {
          id: `${s}-b${n}`,
          s,
          l: n,
        },
      );
    }
  }
  const define = `mutation($c: ID!, $id: ID!, $t: OwnerType!, $eid: ID, $f: String!, $e: JSON!, $p: Int) {
    defineFieldCondition(campaignId: $c, id: $id, entityType: $t, entityId: $eid, field: $f, expression: $e, priority: $p) { seq } }`;
  await mutate(define, { id: 'wealth', t: 'SETTLEMENT', f: 'wealth', e: { sum: ['structures', 'level'] } });
  await mutate(define, {
    id: 'rank',
    t: 'SETTLEMENT',
    f: 'rank',
    e: { if: [{ '>=': [{ var: 'computed.wealth' }, 5] }, 'city', 'village'] },
  });
  await mutate(define, { id: 'grand', t: 'STRUCTURE', f: 'grand', e: { '>=': [{ var: 'parent.level' }, 3] } });
  // On s1 only, above the type-wide rank.
  await mutate(define, { id: 'rank-s1', t: 'SETTLEMENT', eid: 's1', f: 'rank', e: { cat: ['capital'] }, p: 5 });
}, 180_000);

afterAll(async () => {
  second?.kill('SIGTERM');
  await system?.stop({ cleanup: true });
});

describe('computed fields over GraphQL', () => {
  it('answers computedFields on a nested list with one rules request per level', async () => {
    const before = await rulesRequests();
    const data = await gm.ok<any>(
      `query($c: ID!) { settlements(campaignId: $c) { nodes { id computedFields { field value } structures { nodes { id computedFields { field value } } } } } }`,
      { c: C },
    );
    expect(await rulesRequests()).toBe(before + 2);
    const s1 = data.settlements.nodes.find((s: any) => s.id === 's1');
    expect(s1.computedFields).toEqual(
      expect.arrayContaining([
        { field: 'wealth', value: 3 },
        { field: 'rank', value: 'capital' },
      ]),
    );
    expect(s1.structures.nodes.map((st: any) => st.computedFields)).toEqual([
      [{ field: 'grand', value: false }],
      [{ field: 'grand', value: false }],
    ]);
  });

  it('serves a second read from the cache without a rules request; an invalidating event makes the next read fresh', async () => {
    const WEALTH = `query($c: ID!, $minSeq: Int) { settlement(campaignId: $c, id: "s3", minSeq: $minSeq) { computed(field: "wealth") { value } } }`;
    const hits = async () =>
      (await (await fetch(`${system.urls['query-service']}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('cache_hits_total{') && l.includes('cache_type="computed-fields"'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    // The cache invalidator may still be working through the setup's events, each of which rightly drops s3's
    // entry: read until a read fills it, then the next read must come from Redis alone.
    let first = await gm.ok<any>(WEALTH, { c: C });
    let before = await rulesRequests();
    let hitsBefore = await hits();
    for (let i = 0; i < 50; i += 1) {
      const again = await gm.ok<any>(WEALTH, { c: C });
      if ((await rulesRequests()) === before) break;
      first = again;
      before = await rulesRequests();
      hitsBefore = await hits();
    }
    expect(await gm.ok<any>(WEALTH, { c: C })).toEqual(first);
    expect(await rulesRequests()).toBe(before);
    expect(await hits()).toBeGreaterThan(hitsBefore);

    // A mutation of one of s3's structures: the invalidator deletes s3's entry, and the next read (without minSeq)
    // asks the rules service again and sees the new level.
    const seq = await mutate(`mutation($c: ID!) { setStructureLevel(campaignId: $c, id: "s3-b1", level: 4) { seq } }`);
    expect(seq).toBeGreaterThan(0);
    let value = first.settlement.computed.value;
    for (let i = 0; i < 200 && value !== 4 + 2; i += 1) {
      await sleep(25);
      value = (await gm.ok<any>(WEALTH, { c: C })).settlement.computed.value;
    }
    expect(value).toBe(6);
    expect(await rulesRequests()).toBeGreaterThan(before);
    const fresh = await rulesRequests();
    expect((await gm.ok<any>(WEALTH, { c: C })).settlement.computed.value).toBe(6);
    expect(await rulesRequests()).toBe(fresh);
    const stats = await gm.ok<any>(
      `query($c: ID!) { cacheStats(campaignId: $c) { families { family hits misses sets } } }`,
      { c: C },
    );
    expect(stats.cacheStats.families.find((f: any) => f.family === 'computed-fields')).toMatchObject({
      hits: expect.any(Number),
      sets: expect.any(Number),
    });
    expect(stats.cacheStats.families.find((f: any) => f.family === 'computed-fields').hits).toBeGreaterThan(0);
    // Back to level 1: later cases expect s3 as the setup left it.
    await mutate(`mutation($c: ID!) { setStructureLevel(campaignId: $c, id: "s3-b1", level: 1) { seq } }`);
  });

  it('explains a computed field: the winning condition, the candidates and the inputs', async () => {
    const data = await gm.ok<any>(
      `query($c: ID!) { explainComputedField(campaignId: $c, entityType: SETTLEMENT, entityId: "s1", field: "rank") { field value condition { id priority expression } candidates { id priority active } inputs } }`,
      { c: C },
    );
    expect(data.explainComputedField).toEqual({
      field: 'rank',
      value: 'capital',
      condition: { id: 'rank-s1', priority: 5, expression: { cat: ['capital'] } },
      candidates: [
        { id: 'rank-s1', priority: 5, active: true },
        { id: 'rank', priority: 0, active: true },
      ],
      inputs: {},
    });
  });
});

describe('two rules services side by side', () => {
  it('both invalidate on the same event, and a read with minSeq never sees a stale computed field (500 times)', async () => {
    // Enough requests that the queue group hands both instances some, so both hold s2's results. Each read asks
    // for a sequence past the cached entry's (an unrelated rename moves the stream on), so it reaches a rules service.
    for (let i = 0; i < 30; i++) {
      const minSeq = await mutate(
        `mutation($c: ID!, $n: String!) { renameLocation(campaignId: $c, id: "l1", name: $n) { seq } }`,
        { n: `Vale ${i}` },
      );
      await gm.ok(SETTLEMENT, { c: C, id: 's2', minSeq });
    }
    const before = await Promise.all(rulesUrls().map((u) => metric(u, 'cm_rules_invalidations_total')));
    const seq = await mutate(`mutation($c: ID!) { setStructureLevel(campaignId: $c, id: "s2-b1", level: 10) { seq } }`);
    await gm.ok(SETTLEMENT, { c: C, id: 's2', minSeq: seq });
    const after = await Promise.all(rulesUrls().map((u) => metric(u, 'cm_rules_invalidations_total')));
    expect(after[0]).toBeGreaterThan(before[0]!);
    expect(after[1]).toBeGreaterThan(before[1]!);

    const stale: { i: number; got: unknown; want: number }[] = [];
    for (let i = 0; i < 500; i++) {
      const level = i % 50;
      const minSeq = await mutate(
        `mutation($c: ID!, $l: Int!) { setStructureLevel(campaignId: $c, id: "s2-b1", level: $l) { seq } }`,
        { l: level },
      );
      const data = await gm.ok<any>(SETTLEMENT, { c: C, id: 's2', minSeq });
      // s2's other structure keeps level 2.
      if (data.settlement.computed.value !== level + 2)
        stale.push({ i, got: data.settlement.computed.value, want: level + 2 });
    }
    expect(stale).toEqual([]);
  }, 600_000);
});

/** Appends a FieldConditionDefined commit straight to the stream, past the command service's sibling check. */
async function appendAsIfRaced(id: string, expression: unknown): Promise<number> {
  const nats = await connectTestNats('computed-fields-race');
  try {
    const names = natsNames(system.namespace);
    const address = { campaignId: C, branchId: 'main', entityType: 'field-condition' as const, entityId: id };
    const at = new Date().toISOString();
    const commit = {
      commitId: `raced-${id}`,
      events: [
        {
          id: `raced-${id}:0`,
          type: 'FieldConditionDefined' as const,
          schemaVersion: 1,
          ...address,
          aggregateVersion: 1,
          data: { entityType: 'settlement' as const, entityId: null, field: id, expression, priority: 0, active: true },
          metadata: {
            commandId: `raced-${id}`,
            correlationId: `raced-${id}`,
            causationId: `raced-${id}`,
            userId: 'gm',
            occurredAt: at,
          },
        },
      ],
    };
    const ack = await nats.js.publish(names.eventSubject(address), encodeCommit(commit as never), {
      expect: { lastSubjectSequence: 0 },
    });
    return ack.seq;
  } finally {
    await closeTestNats(nats);
  }
}

describe('malicious and broken expressions', () => {
  const define = (id: string, expression: unknown, field = id) =>
    gm.request<any>(
      `mutation($c: ID!, $id: ID!, $f: String!, $e: JSON!) { defineFieldCondition(campaignId: $c, id: $id, entityType: SETTLEMENT, field: $f, expression: $e) { seq } }`,
      {
        c: C,
        id,
        f: field,
        e: expression,
      },
    );
  const rejected = async (expression: unknown, message: RegExp) => {
    const r = await define(`bad${Math.random().toString(36).slice(2, 8)}`, expression);
    expect(r.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(r.errors?.[0]?.message).toMatch(message);
  };

  it('rejects an unknown operator at definition, naming it', () =>
    rejected({ regex: ['^(a+)+$', 'aaaa'] }, /unknown operator "regex"/));
  it('rejects a __proto__ path at definition', () => rejected({ var: 'variables.__proto__' }, /__proto__/));
  it('rejects a constructor path inside map', () =>
    rejected({ map: [{ var: 'structures' }, { var: 'constructor.prototype' }] }, /constructor/));
  it('rejects nesting 10,000 deep at definition', async () => {
    // Written by hand: JSON.stringify itself recurses and would overflow on the way out.
    const deep = `${'{"!":['.repeat(10_000)}1${']}'.repeat(10_000)}`;
    const query = `mutation($c: ID!, $e: JSON!) { defineFieldCondition(campaignId: $c, id: "deep", entityType: SETTLEMENT, field: "deep", expression: $e) { seq } }`;
    const res = await fetch(system.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await system.token('gm')}` },
      body: `{"query":${JSON.stringify(query)},"variables":{"c":"${C}","e":${deep}}}`,
    });
    const body = (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] };
    // The API's own bound on variable nesting answers first; the command path's (64, contracts) stands behind it.
    expect(body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(body.errors?.[0]?.message).toMatch(/nested deeper than/);
  });
  it('rejects a field that reads itself', async () => {
    const r = await define('loop', { '+': [{ var: 'computed.loop' }, 1] }, 'loop');
    expect(r.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(r.errors?.[0]?.message).toMatch(/reads itself/);
  });
  it('cuts off an array growing past the bound, and a cycle through two fields, with codes, and keeps serving the rest', async () => {
    // Doubles the accumulator 24 times: 16 million elements unless cut off.
    const twentyFour = Array.from({ length: 24 }, (_, i) => i);
    expect(
      (await define('huge', { reduce: [twentyFour, { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]] }))
        .errors,
    ).toBeUndefined();
    expect((await define('ping', { var: 'computed.pong' })).errors).toBeUndefined();
    const pong = { '+': [{ var: 'computed.ping' }, 1] };
    // The command service refuses to close the cycle (field-condition-cycles.e2e.spec.ts) ...
    expect((await define('pong', pong)).errors?.[0]?.message).toMatch(/closes a cycle pong -> ping -> pong/);
    // ... but two racing definitions, each closing half, both pass it: write the second as such a race leaves it.
    const seq = await appendAsIfRaced('pong', pong);
    const data = await gm.ok<any>(
      `query($c: ID!, $minSeq: Int) { settlement(campaignId: $c, id: "s3", minSeq: $minSeq) { computedFields { field value error { code } } } }`,
      { c: C, minSeq: seq },
    );
    const byField = Object.fromEntries(
      data.settlement.computedFields.map((f: any) => [f.field, f.error?.code ?? f.value]),
    );
    expect(byField).toMatchObject({
      huge: 'RULE_LIMIT',
      ping: 'RULE_CYCLE',
      pong: 'RULE_CYCLE',
      wealth: 3,
      rank: 'village',
    });
  });
});

describe('a rules service killed under load', () => {
  it('serves correct values again once it is ready', async () => {
    const name = 'rules-service' as const;
    let writing = true;
    let level = 0;
    // Load: mutations keep flowing while the instance dies and comes back.
    const load = (async () => {
      while (writing)
        await mutate(
          `mutation($c: ID!, $l: Int!) { setStructureLevel(campaignId: $c, id: "s1-b2", level: $l) { seq } }`,
          { l: (level = (level + 1) % 40) },
        );
    })();
    await sleep(300);
    await system.kill(name, 'SIGKILL');
    const gone = new Promise((resolve) => second!.once('exit', resolve));
    second!.kill('SIGKILL');
    await gone;
    await sleep(300);
    await system.restart(name);
    writing = false;
    await load;
    const seq = await mutate(`mutation($c: ID!) { setStructureLevel(campaignId: $c, id: "s1-b1", level: 7) { seq } }`);
    const data = await gm.ok<any>(SETTLEMENT, { c: C, id: 's1', minSeq: seq });
    expect(data.settlement.computed).toEqual({ value: 7 + level, error: null });
  }, 300_000);
});
