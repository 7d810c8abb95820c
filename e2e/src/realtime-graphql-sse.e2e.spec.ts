import { createClient, type Client } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { signToken } from '@cm/platform';
import { metricValue, startRealtimeSystem, subscriptionsOpen, Writer } from './realtime.test-util.js';

// graphql-sse's own client, in both of its modes, against the real gateway process.
let system: System;
let secret: string;
let gateway: string;
let gm: Writer;
const clients: Client[] = [];
const C1 = 'crown';
const C2 = 'other';

type Result = {
  data?: Record<
    string,
    {
      seq: number;
      type: string;
      campaignId: string;
      branchId: string;
      entityId: string;
      state: any;
      changes: string[];
      updatedBy: string;
    }
  >;
  errors?: { message: string; extensions?: { code?: string } }[];
};

/** Collects every result of one subscription until it completes or is disposed. */
function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const results: Result[] = [];
  let done = false;
  let error: unknown;
  const dispose = client.subscribe<any>(
    { query, variables },
    {
      next: (r) => void results.push(r as Result),
      error: (e) => ((error = e), (done = true)),
      complete: () => (done = true),
    },
  );
  const until = async (predicate: () => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(results.slice(-3))} ${String(error)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const seqs = () => results.flatMap((r) => Object.values(r.data ?? {}).map((u) => u.seq));
  return {
    results,
    seqs,
    until,
    dispose,
    get done() {
      return done;
    },
  };
}

const SETTLEMENT = `mutation($c: ID!) {
  createLocation(campaignId: $c, id: "loc", name: "Loc", geometry: { type: "Point", coordinates: [1, 2] }) { seq }
}`;

beforeAll(async () => {
  ({ system, secret, gateway } = await startRealtimeSystem());
  gm = await Writer.as(system, secret, 'gm');
  await gm.campaign(C1);
  await gm.campaign(C2);
  await gm.kingdom(C1, 'k1');
  await gm.kingdom(C2, 'k1');
  await gm.fork(C1, 'alt');
  await gm.client.ok(SETTLEMENT, { c: C1 });
  await gm.client.ok(
    `mutation($c: ID!) { createSettlement(campaignId: $c, id: "s1", kingdomId: "k1", locationId: "loc", name: "Ashford") { seq } }`,
    { c: C1 },
  );
});

afterAll(async () => {
  clients.forEach((c) => c.dispose());
  await system?.stop({ cleanup: true });
});

const FIELDS = 'seq type campaignId branchId entityId state changes updatedBy';

describe.each([false, true])('graphql-sse (singleConnection: %s)', (singleConnection) => {
  const client = async (userId = 'gm') => {
    const token = await signToken(secret, userId);
    const c = createClient({
      url: `${gateway}/graphql/stream`,
      headers: { authorization: `Bearer ${token}` },
      singleConnection,
      retryAttempts: 0,
    });
    clients.push(c);
    return c;
  };

  it('delivers each subscription its events and nothing of other campaigns or branches', async () => {
    const c = await client();
    const open = metricValue(await (await fetch(`${gateway}/metrics`)).text(), 'realtime_subscriptions');
    const campaign = collect(
      c,
      `subscription($c: ID!) { campaignEvents(campaignId: $c, branchId: "main", coalesce: false) { ${FIELDS} } }`,
      { c: C1 },
    );
    const entity = collect(
      c,
      `subscription { entityModified(entityType: "kingdom", entityId: "k1", coalesce: false) { ${FIELDS} } }`,
    );
    const settlement = collect(
      c,
      `subscription { settlementUpdated(id: "s1", coalesce: false) { seq type state changes } }`,
    );
    const typed = collect(
      c,
      `subscription($c: ID!) { campaignEvents(campaignId: $c, types: ["SettlementLevelSet"], coalesce: false) { seq type } }`,
      { c: C1 },
    );
    await subscriptionsOpen(gateway, open + 4);
    const k1 = await gm.rename(C1, 'k1', `Aurelia ${singleConnection}`);
    const other = await gm.rename(C2, 'k1', `Elsewhere ${singleConnection}`);
    await gm.kingdom(C1, singleConnection ? 'k9s' : 'k9d', 'alt');
    const newLevel = singleConnection ? 4 : 3;
    const level = (
      await gm.client.ok<any>(
        `mutation($c: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: "s1", level: $l) { seq } }`,
        { c: C1, l: newLevel },
      )
    ).setSettlementLevel.seq;
    await campaign.until(() => campaign.seqs().includes(level), 'the settlement level');
    await entity.until(() => entity.seqs().includes(other), 'both k1 renames');
    await settlement.until(() => settlement.seqs().includes(level), 'the settlement event');
    await typed.until(() => typed.seqs().includes(level), 'the typed event');
    expect(campaign.seqs()).toEqual([k1, level]);
    // entityModified names no campaign: it follows k1 in every campaign the caller is a member of.
    expect(entity.seqs()).toEqual([k1, other]);
    expect(settlement.results.map((r) => r.data!.settlementUpdated)).toEqual([
      { seq: level, type: 'SettlementLevelSet', state: { level: newLevel }, changes: ['level'] },
    ]);
    expect(typed.seqs()).toEqual([level]);
    expect(campaign.results[0]!.data!.campaignEvents).toMatchObject({
      type: 'KingdomRenamed',
      campaignId: C1,
      branchId: 'main',
      entityId: 'k1',
      state: { name: `Aurelia ${singleConnection}` },
      changes: ['name'],
      updatedBy: 'gm',
    });
    [campaign, entity, settlement, typed].forEach((s) => s.dispose());
  });

  it('resumes campaignEvents after a seq (the `after` argument)', async () => {
    const c = await client();
    const first = await gm.rename(C1, 'k1', `one ${singleConnection}`);
    const second = await gm.rename(C1, 'k1', `two ${singleConnection}`);
    const resumed = collect(
      c,
      `subscription($c: ID!, $a: Int) { campaignEvents(campaignId: $c, after: $a, coalesce: false) { seq } }`,
      { c: C1, a: first - 1 },
    );
    await resumed.until(() => resumed.seqs().includes(second), 'the missed events');
    expect(resumed.seqs()).toEqual([first, second]);
    resumed.dispose();
  });

  it('refuses a campaign the caller is not a member of, and malformed arguments, with coded errors', async () => {
    const c = await client('stranger');
    const forbidden = collect(c, `subscription($c: ID!) { campaignEvents(campaignId: $c) { seq } }`, { c: C1 });
    const malformed = collect(c, `subscription { settlementUpdated(id: "not valid!") { seq } }`);
    await forbidden.until(() => forbidden.results.length > 0, 'the refusal');
    await malformed.until(() => malformed.results.length > 0, 'the refusal');
    expect(forbidden.results[0]!.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(malformed.results[0]!.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });
});

describe('graphql-sse execution', () => {
  it('executes an event once per distinct operation, not once per subscriber', async () => {
    // A campaign of its own, so that no other test's subscription sees the event.
    await gm.campaign('exec');
    await gm.kingdom('exec', 'kx');
    const token = await signToken(secret, 'gm');
    const open = metricValue(await (await fetch(`${gateway}/metrics`)).text(), 'realtime_subscriptions');
    const subs = Array.from({ length: 10 }, () => {
      const c = createClient({
        url: `${gateway}/graphql/stream`,
        headers: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      clients.push(c);
      return collect(
        c,
        `subscription { entityModified(entityType: "kingdom", entityId: "kx", branchId: "main", coalesce: false) { seq name: type } }`,
      );
    });
    await subscriptionsOpen(gateway, open + 10);
    const executions = async () =>
      metricValue(await (await fetch(`${gateway}/metrics`)).text(), 'realtime_graphql_executions_total');
    const before = await executions();
    const seq = await gm.rename('exec', 'kx', 'shared');
    for (const s of subs) await s.until(() => s.seqs().includes(seq), 'the shared event');
    expect(await executions()).toBe(before + 1);
    subs.forEach((s) => s.dispose());
  });

  it('refuses a request without a token', async () => {
    const res = await fetch(`${gateway}/graphql/stream`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { structureUpdated(id: "x") { seq } }' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe('UNAUTHENTICATED');
  });
});
