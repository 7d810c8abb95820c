import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from '@cm/infra';
import { signToken } from '@cm/platform';
import { GraphQLClient } from '@cm/testkit';

// History and time travel (issue 13 item 1) against the whole system as processes: the fixture records what the
// read model held after each write, and entityAt must fold the stream to the same state at every one of those
// sequences, in main and in a branch forked from it.
const JWT_SECRET = `e2e-${randomBytes(16).toString('hex')}`;
const CAMPAIGN = `hist-${randomBytes(3).toString('hex')}`;
const SETTLEMENT = 'town';
let system: System;
let alice: GraphQLClient;
let bob: GraphQLClient;

interface Row {
  name: string;
  level: number;
  kingdomId: string;
  locationId: string;
}
/** What the read model held right after each write to the settlement, by branch. */
const recorded: Record<string, { seq: number; row: Row }[]> = { main: [], what_if: [] };
let forkSeq = 0;

async function mutate(query: string, variables: Record<string, unknown>): Promise<number> {
  const data = await alice.ok<Record<string, { seq: number }>>(query, { campaignId: CAMPAIGN, ...variables });
  return Object.values(data)[0]!.seq;
}

async function record(branchId: string, seq: number): Promise<void> {
  const { settlement } = await alice.ok<{ settlement: Row }>(
    `query($c: ID!, $b: ID!, $id: ID!, $s: Int) { settlement(campaignId: $c, branchId: $b, id: $id, minSeq: $s) { name level kingdomId locationId } }`,
    { c: CAMPAIGN, b: branchId, id: SETTLEMENT, s: seq },
  );
  recorded[branchId]!.push({ seq, row: settlement });
}

const SETTLEMENT_WRITE = {
  rename: `mutation($campaignId: ID!, $b: ID!, $name: String!) { renameSettlement(campaignId: $campaignId, branchId: $b, id: "town", name: $name) { seq } }`,
  level: `mutation($campaignId: ID!, $b: ID!, $level: Int!) { setSettlementLevel(campaignId: $campaignId, branchId: $b, id: "town", level: $level) { seq } }`,
};

beforeAll(async () => {
  system = await startSystem({
    namespace: `e2e${randomBytes(4).toString('hex')}`,
    schema: `e2e_${randomBytes(4).toString('hex')}`,
    env: { JWT_SECRET },
  });
  const anonymous = new GraphQLClient(system.graphqlUrl);
  alice = anonymous.withToken(await signToken(JWT_SECRET, 'alice'));
  bob = anonymous.withToken(await signToken(JWT_SECRET, 'bob'));

  await alice.ok(`mutation($id: ID!) { createCampaign(id: $id, name: "History") { seq } }`, { id: CAMPAIGN });
  await mutate(
    `mutation($campaignId: ID!) { addCampaignMember(campaignId: $campaignId, userId: "bob", role: PLAYER) { seq } }`,
    {},
  );
  await mutate(
    `mutation($campaignId: ID!) { createKingdom(campaignId: $campaignId, id: "realm", name: "Realm") { seq } }`,
    {},
  );
  await mutate(
    `mutation($campaignId: ID!) { createLocation(campaignId: $campaignId, id: "spot", name: "Spot", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
    {},
  );
  await mutate(
    `mutation($campaignId: ID!) { createLocation(campaignId: $campaignId, id: "hill", name: "Hill", geometry: { type: "Point", coordinates: [3, 4] }) { seq } }`,
    {},
  );
  await record(
    'main',
    await mutate(
      `mutation($campaignId: ID!) { createSettlement(campaignId: $campaignId, id: "town", kingdomId: "realm", locationId: "spot", name: "Ashford", level: 1) { seq } }`,
      {},
    ),
  );
  await record('main', await mutate(SETTLEMENT_WRITE.rename, { b: 'main', name: 'Ashford Market' }));
  await record('main', await mutate(SETTLEMENT_WRITE.level, { b: 'main', level: 2 }));
  forkSeq = await mutate(
    `mutation($campaignId: ID!) { forkBranch(campaignId: $campaignId, id: "what_if", name: "What if") { seq } }`,
    {},
  );
  await record('what_if', await mutate(SETTLEMENT_WRITE.rename, { b: 'what_if', name: 'Ashford Burned' }));
  await record(
    'what_if',
    await mutate(
      `mutation($campaignId: ID!) { moveSettlement(campaignId: $campaignId, branchId: "what_if", id: "town", locationId: "hill") { seq } }`,
      {},
    ),
  );
  await record('main', await mutate(SETTLEMENT_WRITE.level, { b: 'main', level: 3 }));
});

afterAll(async () => {
  await system?.stop({ cleanup: true });
});

const AT = `query($c: ID!, $b: ID!, $seq: Int, $time: String) { entityAt(campaignId: $c, branchId: $b, entityType: SETTLEMENT, entityId: "town", seq: $seq, time: $time) { seq version state } }`;
const HISTORY = `query($c: ID!, $b: ID!, $after: Int, $first: Int) {
  entityHistory(campaignId: $c, branchId: $b, entityType: SETTLEMENT, entityId: "town", after: $after, first: $first) {
    endCursor hasNextPage
    entries { event { seq time type branchId userId commandId correlationId aggregateVersion } changes { field before after } }
  }
}`;

async function stateAt(branchId: string, seq: number): Promise<Row> {
  const { entityAt } = await alice.ok<{ entityAt: { state: Row & { status: string } } }>(AT, {
    c: CAMPAIGN,
    b: branchId,
    seq,
  });
  const { name, level, kingdomId, locationId } = entityAt.state;
  return { name, level, kingdomId, locationId };
}

describe('time travel: entityAt', () => {
  it('equals what the read model held after every write, in main', async () => {
    for (const { seq, row } of recorded.main!) expect(await stateAt('main', seq), `main at ${seq}`).toEqual(row);
  });

  it('equals what the read model held after every write, in the branch, and the parent before the fork', async () => {
    for (const { seq, row } of recorded.what_if!)
      expect(await stateAt('what_if', seq), `what_if at ${seq}`).toEqual(row);
    // Before its own writes, the branch is its parent as of the fork; main's later write is not inherited.
    const beforeFork = recorded.main!.filter((r) => r.seq < forkSeq);
    for (const { seq, row } of beforeFork) expect(await stateAt('what_if', seq)).toEqual(row);
    expect((await stateAt('what_if', recorded.main!.at(-1)!.seq)).level).toBe(2);
  });

  it('answers by time and, before the entity existed, with its initial state', async () => {
    const { entityHistory } = await alice.ok<any>(HISTORY, { c: CAMPAIGN, b: 'main', first: 10 });
    const second = entityHistory.entries[1].event;
    const { entityAt } = await alice.ok<any>(AT, { c: CAMPAIGN, b: 'main', time: second.time });
    expect(entityAt.seq).toBeGreaterThanOrEqual(second.seq);
    expect(entityAt.seq).toBeLessThan(entityHistory.entries[2].event.seq);
    const before = await alice.ok<any>(AT, { c: CAMPAIGN, b: 'main', seq: recorded.main![0]!.seq - 1 });
    expect(before.entityAt).toMatchObject({ seq: 0, version: 0, state: { status: 'absent' } });
  });
});

describe('entityHistory', () => {
  it('pages by sequence with a field-level diff and who wrote each event', async () => {
    const first = (await alice.ok<any>(HISTORY, { c: CAMPAIGN, b: 'main', first: 2 })).entityHistory;
    expect(first.hasNextPage).toBe(true);
    expect(first.entries.map((e: any) => e.event.type)).toEqual(['SettlementCreated', 'SettlementRenamed']);
    expect(first.entries[1].changes).toEqual([{ field: 'name', before: 'Ashford', after: 'Ashford Market' }]);
    expect(first.entries[1].event).toMatchObject({ userId: 'alice', aggregateVersion: 2, branchId: 'main' });
    expect(first.entries[1].event.commandId).toBeTruthy();
    expect(first.entries[1].event.correlationId).toBeTruthy();
    const rest = (await alice.ok<any>(HISTORY, { c: CAMPAIGN, b: 'main', first: 10, after: first.endCursor }))
      .entityHistory;
    expect(rest.hasNextPage).toBe(false);
    expect(rest.entries.map((e: any) => e.changes)).toEqual([
      [{ field: 'level', before: 1, after: 2 }],
      [{ field: 'level', before: 2, after: 3 }],
    ]);
  });

  it("follows the branch's lineage into its parent up to the fork", async () => {
    const { entityHistory } = await alice.ok<any>(HISTORY, { c: CAMPAIGN, b: 'what_if', first: 10 });
    expect(entityHistory.entries.map((e: any) => [e.event.branchId, e.event.type])).toEqual([
      ['main', 'SettlementCreated'],
      ['main', 'SettlementRenamed'],
      ['main', 'SettlementLevelSet'],
      ['what_if', 'SettlementRenamed'],
      ['what_if', 'SettlementMoved'],
    ]);
    expect(entityHistory.entries[3].changes).toEqual([
      { field: 'name', before: 'Ashford Market', after: 'Ashford Burned' },
    ]);
    expect(entityHistory.entries[4].changes).toEqual([{ field: 'locationId', before: 'spot', after: 'hill' }]);
  });

  it("addresses an owner's state variables by ownerType and owner id, one dotted field per variable", async () => {
    const set = `mutation($campaignId: ID!, $v: JSON) { setStateVariable(campaignId: $campaignId, ownerType: KINGDOM, ownerId: "realm", key: "treasury", value: { type: NUMBER, value: $v }) { seq } }`;
    await mutate(set, { v: 100 });
    await mutate(set, { v: 250 });
    const { entityHistory } = await alice.ok<any>(
      `query($c: ID!) { entityHistory(campaignId: $c, entityType: STATE_VARIABLE, ownerType: KINGDOM, entityId: "realm") { entries { event { type entityId } changes { field before after } } } }`,
      { c: CAMPAIGN },
    );
    expect(entityHistory.entries.map((e: any) => e.event.type)).toEqual(['StateVariableSet', 'StateVariableSet']);
    expect(entityHistory.entries[1].changes).toEqual([{ field: 'values.treasury.value', before: 100, after: 250 }]);
    expect(
      await alice.codes(
        `query($c: ID!) { entityAt(campaignId: $c, entityType: STATE_VARIABLE, entityId: "realm") { seq } }`,
        { c: CAMPAIGN },
      ),
    ).toEqual(['VALIDATION']);
  });

  it('is refused to a player and to a stranger alike', async () => {
    expect(await bob.codes(HISTORY, { c: CAMPAIGN, b: 'main' })).toEqual(['FORBIDDEN']);
    expect(await bob.codes(HISTORY, { c: `${CAMPAIGN}x`, b: 'main' })).toEqual(['FORBIDDEN']);
    // The first page is asked for while the role is looked up; the refusal still comes before a bad argument.
    expect(
      await bob.codes(
        `query($c: ID!) { entityHistory(campaignId: $c, entityType: KINGDOM, entityId: "realm", first: 0) { endCursor } }`,
        { c: CAMPAIGN },
      ),
    ).toEqual(['FORBIDDEN']);
  });
});

const EVENTS = `query($c: ID!, $b: ID, $types: [String!], $entityId: ID, $fromSeq: Int, $toSeq: Int, $fromTime: String, $first: Int, $after: Int) {
  events(campaignId: $c, branchId: $b, types: $types, entityId: $entityId, fromSeq: $fromSeq, toSeq: $toSeq, fromTime: $fromTime, first: $first, after: $after) {
    endCursor hasNextPage events { seq time type branchId entityId }
  }
}`;

describe('events', () => {
  it('pages a filtered range by cursor', async () => {
    const pages: any[] = [];
    let after: number | undefined;
    for (;;) {
      const { events } = await alice.ok<any>(EVENTS, {
        c: CAMPAIGN,
        types: ['SettlementRenamed', 'SettlementLevelSet'],
        first: 2,
        after,
      });
      pages.push(events.events.map((e: any) => [e.branchId, e.type]));
      if (!events.hasNextPage) break;
      after = events.endCursor;
    }
    expect(pages).toEqual([
      [
        ['main', 'SettlementRenamed'],
        ['main', 'SettlementLevelSet'],
      ],
      [
        ['what_if', 'SettlementRenamed'],
        ['main', 'SettlementLevelSet'],
      ],
    ]);
  });

  it('filters by branch, entity, sequence range and time', async () => {
    const branch = (await alice.ok<any>(EVENTS, { c: CAMPAIGN, b: 'what_if', entityId: 'town' })).events.events;
    expect(branch.map((e: any) => e.type)).toEqual(['SettlementRenamed', 'SettlementMoved']);
    const [created] = recorded.main!;
    const ranged = (
      await alice.ok<any>(EVENTS, {
        c: CAMPAIGN,
        b: 'main',
        entityId: 'town',
        fromSeq: created!.seq + 1,
        toSeq: recorded.main![2]!.seq,
      })
    ).events.events;
    expect(ranged.map((e: any) => e.type)).toEqual(['SettlementRenamed', 'SettlementLevelSet']);
    const last = recorded.main!.at(-1)!;
    const byTime = (await alice.ok<any>(EVENTS, { c: CAMPAIGN, b: 'main', entityId: 'town', fromTime: ranged[1].time }))
      .events.events;
    expect(byTime.map((e: any) => e.seq)).toEqual([recorded.main![2]!.seq, last.seq]);
  });
});

describe('commandTrace', () => {
  it("shows a settlement delete and the saga's structure deletes it caused", async () => {
    for (const id of ['mill', 'well']) {
      await mutate(
        `mutation($campaignId: ID!, $id: ID!, $name: String!) { createStructure(campaignId: $campaignId, id: $id, settlementId: "town", name: $name, structureType: "basic") { seq } }`,
        { id, name: id },
      );
    }
    const del = await alice.ok<any>(
      `mutation($c: ID!) { deleteSettlement(campaignId: $c, id: "town", commandId: "delete-town-1") { seq } }`,
      { c: CAMPAIGN },
    );
    expect(del.deleteSettlement.seq).toBeGreaterThan(0);
    const TRACE = `query($c: ID!, $id: String) { commandTrace(campaignId: $c, commandId: $id) { correlationId commands { commandId causedByEventId causedByCommandId userId events { id type entityId } } } }`;
    let trace: any;
    for (let i = 0; i < 100; i += 1) {
      trace = (await alice.ok<any>(TRACE, { c: CAMPAIGN, id: 'delete-town-1' })).commandTrace;
      if (trace.commands.length >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [root, ...caused] = trace.commands;
    expect(root).toMatchObject({
      commandId: 'delete-town-1',
      causedByEventId: null,
      events: [{ type: 'SettlementDeleted', entityId: 'town' }],
    });
    expect(
      caused
        .map((c: any) => c.events.map((e: any) => [e.type, e.entityId]))
        .flat()
        .sort(),
    ).toEqual([
      ['StructureDeleted', 'mill'],
      ['StructureDeleted', 'well'],
    ]);
    for (const c of caused)
      expect(c).toMatchObject({ causedByEventId: root.events[0].id, causedByCommandId: 'delete-town-1' });
    const byCorrelation = (
      await alice.ok<any>(
        `query($c: ID!, $k: String) { commandTrace(campaignId: $c, correlationId: $k) { commands { commandId } } }`,
        { c: CAMPAIGN, k: trace.correlationId },
      )
    ).commandTrace;
    expect(byCorrelation.commands.map((c: any) => c.commandId)).toEqual(trace.commands.map((c: any) => c.commandId));
  });
});
