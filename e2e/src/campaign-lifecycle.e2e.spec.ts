import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCommit, natsNames } from '@cm/contracts';
import { startSystem, type System } from '@cm/infra';
import { closeNats, connectNats, createLogger, LOCAL_DEFAULTS, signToken, type Nats } from '@cm/platform';
import { GraphQLClient } from '@cm/testkit';

// The whole system as `npm start` runs it: real processes over the real NATS, Postgres and Redis, driven only
// through HTTP GraphQL. Its own namespace and database schema keep it apart from anything else running.
const JWT_SECRET = `e2e-${randomBytes(16).toString('hex')}`;
let system: System;
let nats: Nats;
let alice: GraphQLClient;
let bob: GraphQLClient;
let anonymous: GraphQLClient;

const CAMPAIGN = `shattered-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  system = await startSystem({
    namespace: `e2e${randomBytes(4).toString('hex')}`,
    schema: `e2e_${randomBytes(4).toString('hex')}`,
    env: { JWT_SECRET },
  });
  anonymous = new GraphQLClient(system.graphqlUrl);
  alice = anonymous.withToken(await signToken(JWT_SECRET, 'alice'));
  bob = anonymous.withToken(await signToken(JWT_SECRET, 'bob'));
  nats = await connectNats(
    process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL,
    'e2e',
    createLogger('e2e', { LOG_LEVEL: 'silent', NODE_ENV: 'test', LOG_FORMAT: 'json' }),
  );
});

afterAll(async () => {
  await system?.stop({ cleanup: true });
  await closeNats(nats);
});

const TREE = /* GraphQL */ `
  query Tree($id: ID!, $branchId: ID!, $minSeq: Int) {
    campaign(id: $id, minSeq: $minSeq) {
      id
      name
      ownerId
      myRole
      members {
        userId
        role
      }
      branches {
        id
        name
        parentBranchId
      }
      kingdoms(branchId: $branchId) {
        nodes {
          id
          name
          variables {
            nodes {
              key
              type
              value
            }
          }
          settlements {
            nodes {
              id
              name
              level
              locationId
              location {
                id
                name
                geometry
              }
              variables {
                nodes {
                  key
                  type
                  value
                }
              }
              structures {
                nodes {
                  id
                  name
                  structureType
                  level
                  condition
                }
              }
            }
          }
        }
      }
    }
  }
`;

/** Lists are connections; the tree reads each one's `nodes` (its pages of 50 hold everything here) as a plain array. */
function unwrapNodes(value: unknown): any {
  if (Array.isArray(value)) return value.map(unwrapNodes);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]![0] === 'nodes') return unwrapNodes(entries[0]![1]);
  return Object.fromEntries(entries.map(([k, v]) => [k, unwrapNodes(v)]));
}

async function tree(branchId: string, minSeq?: number) {
  const data = await alice.ok<{ campaign: any }>(TREE, { id: CAMPAIGN, branchId, minSeq });
  return unwrapNodes(data.campaign);
}

async function streamHead(): Promise<number> {
  return (await nats.jsm.streams.info(natsNames(system.namespace).eventStream)).state.last_seq;
}

describe('a campaign through GraphQL, end to end', () => {
  let lastSeq = 0;
  const track = <T extends Record<string, { seq: number }>>(data: T): T => {
    for (const r of Object.values(data)) lastSeq = Math.max(lastSeq, r.seq);
    return data;
  };

  it('creates a campaign with kingdom, location, settlement, structures and variables, and reads them back', async () => {
    const created = track(
      await alice.ok(
        `mutation($id: ID!) { createCampaign(id: $id, name: "The Shattered Crown") { seq duplicate campaign { id name ownerId myRole } } }`,
        { id: CAMPAIGN },
      ),
    );
    expect(created.createCampaign.campaign).toEqual({
      id: CAMPAIGN,
      name: 'The Shattered Crown',
      ownerId: 'alice',
      myRole: 'OWNER',
    });

    const v = { c: CAMPAIGN };
    track(
      await alice.ok(
        `mutation($c: ID!) { createKingdom(campaignId: $c, id: "aurelia", name: "Aurelia") { seq kingdom { id name } } }`,
        v,
      ),
    );
    const loc = track(
      await alice.ok(
        `mutation($c: ID!, $g: GeoJSON!) { createLocation(campaignId: $c, id: "harbor", name: "Harbor", geometry: $g) { seq location { geometry } } }`,
        { ...v, g: { type: 'Point', coordinates: [12.3456789, 45.1] } },
      ),
    );
    expect(loc.createLocation.location.geometry).toMatchObject({ type: 'Point' });
    track(
      await alice.ok(
        `mutation($c: ID!) { createSettlement(campaignId: $c, id: "port-royal", kingdomId: "aurelia", locationId: "harbor", name: "Port Royal", level: 3) { seq settlement { id level kingdom { name } } } }`,
        v,
      ),
    );
    for (const [id, type] of [
      ['docks', 'harbor'],
      ['keep', 'fortress'],
      ['market', 'market'],
    ]) {
      track(
        await alice.ok(
          `mutation($c: ID!, $id: ID!, $name: String!, $t: String!) { createStructure(campaignId: $c, id: $id, settlementId: "port-royal", name: $name, structureType: $t, level: 1) { seq structure { id } } }`,
          { ...v, id, name: id, t: type },
        ),
      );
    }
    track(
      await alice.ok(
        `mutation($c: ID!) {
          a: setStateVariable(campaignId: $c, ownerType: SETTLEMENT, ownerId: "port-royal", key: "population", value: { type: NUMBER, value: 1200 }) { seq variable { key value } }
        }`,
        v,
      ),
    );
    track(
      await alice.ok(
        `mutation($c: ID!) { a: setStateVariable(campaignId: $c, ownerType: KINGDOM, ownerId: "aurelia", key: "ruler", value: { type: STRING, value: "Queen Mira" }) { seq } }`,
        v,
      ),
    );

    const main = await tree('main', lastSeq);
    expect(main.members).toEqual([{ userId: 'alice', role: 'OWNER' }]);
    expect(main.branches.map((b: any) => b.id)).toEqual(['main']);
    expect(main.kingdoms).toHaveLength(1);
    const kingdom = main.kingdoms[0];
    expect(kingdom.variables).toEqual([{ key: 'ruler', type: 'STRING', value: 'Queen Mira' }]);
    const settlement = kingdom.settlements[0];
    expect(settlement).toMatchObject({
      id: 'port-royal',
      name: 'Port Royal',
      level: 3,
      location: { id: 'harbor', name: 'Harbor' },
    });
    expect(settlement.location.geometry.coordinates[0]).toBeCloseTo(12.3456789, 6);
    expect(settlement.variables).toEqual([{ key: 'population', type: 'NUMBER', value: 1200 }]);
    expect(settlement.structures.map((s: any) => s.id).sort()).toEqual(['docks', 'keep', 'market']);
  });

  it('updates and deletes, and a retried command id returns the first result', async () => {
    const v = { c: CAMPAIGN };
    track(
      await alice.ok(
        `mutation($c: ID!) { renameSettlement(campaignId: $c, id: "port-royal", name: "Port Royale") { seq } }`,
        v,
      ),
    );
    track(
      await alice.ok(`mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "port-royal", level: 4) { seq } }`, v),
    );
    track(
      await alice.ok(
        `mutation($c: ID!) { setStructureCondition(campaignId: $c, id: "keep", condition: 40) { seq structure { condition } } }`,
        v,
      ),
    );
    const del = track(
      await alice.ok(`mutation($c: ID!) { deleteStructure(campaignId: $c, id: "market") { seq structure { id } } }`, v),
    );
    expect(del.deleteStructure.structure).toBeNull();
    track(
      await alice.ok(
        `mutation($c: ID!) { unsetStateVariable(campaignId: $c, ownerType: KINGDOM, ownerId: "aurelia", key: "ruler") { seq } }`,
        v,
      ),
    );

    const retry = `mutation($c: ID!) { setStructureLevel(campaignId: $c, id: "docks", level: 2, commandId: "lvl-docks-1") { seq commitId duplicate } }`;
    const first = track(await alice.ok(retry, v));
    const second = await alice.ok(retry, v);
    expect(first.setStructureLevel.duplicate).toBe(false);
    expect(second.setStructureLevel).toEqual({ ...first.setStructureLevel, duplicate: true });

    const main = await tree('main', lastSeq);
    const settlement = main.kingdoms[0].settlements[0];
    expect(main.kingdoms[0].variables).toEqual([]);
    expect(settlement).toMatchObject({ name: 'Port Royale', level: 4 });
    const structures = Object.fromEntries(settlement.structures.map((s: any) => [s.id, s]));
    expect(Object.keys(structures).sort()).toEqual(['docks', 'keep']);
    expect(structures.keep.condition).toBe(40);
    expect(structures.docks.level).toBe(2);
  });

  it('forks a branch, changes it, and keeps main unchanged', async () => {
    const v = { c: CAMPAIGN };
    const fork = track(
      await alice.ok(
        `mutation($c: ID!) { forkBranch(campaignId: $c, id: "what-if", name: "What if the keep fell") { seq branch { id parentBranchId forkedAtSeq } } }`,
        v,
      ),
    );
    expect(fork.forkBranch.branch).toMatchObject({ id: 'what-if', parentBranchId: 'main' });
    const before = await tree('main', lastSeq);

    track(
      await alice.ok(
        `mutation($c: ID!) { renameSettlement(campaignId: $c, branchId: "what-if", id: "port-royal", name: "Port Ruin") { seq } }`,
        v,
      ),
    );
    track(
      await alice.ok(
        `mutation($c: ID!) { deleteStructure(campaignId: $c, branchId: "what-if", id: "keep") { seq } }`,
        v,
      ),
    );
    track(
      await alice.ok(
        `mutation($c: ID!) { setStateVariable(campaignId: $c, branchId: "what-if", ownerType: SETTLEMENT, ownerId: "port-royal", key: "population", value: { type: NUMBER, value: 300 }) { seq } }`,
        v,
      ),
    );
    track(
      await alice.ok(
        `mutation($c: ID!) { createKingdom(campaignId: $c, branchId: "what-if", id: "usurpers", name: "Usurpers") { seq } }`,
        v,
      ),
    );

    const alt = await tree('what-if', lastSeq);
    const main = await tree('main', lastSeq);
    expect(main.kingdoms).toEqual(before.kingdoms);
    expect(main.branches.map((b: any) => b.id).sort()).toEqual(['main', 'what-if']);
    expect(alt.kingdoms.map((k: any) => k.id).sort()).toEqual(['aurelia', 'usurpers']);
    const altSettlement = alt.kingdoms.find((k: any) => k.id === 'aurelia').settlements[0];
    expect(altSettlement.name).toBe('Port Ruin');
    expect(altSettlement.structures.map((s: any) => s.id)).toEqual(['docks']);
    expect(altSettlement.variables).toEqual([{ key: 'population', type: 'NUMBER', value: 300 }]);
    expect(main.kingdoms[0].settlements[0].variables).toEqual([{ key: 'population', type: 'NUMBER', value: 1200 }]);
  });

  it('cascades a settlement delete to its structures in that branch only', async () => {
    const v = { c: CAMPAIGN };
    track(
      await alice.ok(
        `mutation($c: ID!) { deleteSettlement(campaignId: $c, branchId: "what-if", id: "port-royal") { seq } }`,
        v,
      ),
    );
    // The cascade is a saga: its commands follow the delete, so poll (bounded) for the structures to go.
    let structures: unknown[] = ['pending'];
    for (let i = 0; i < 100 && structures.length > 0; i += 1) {
      const data = await alice.ok<{ structures: { nodes: unknown[] } }>(
        `query($c: ID!) { structures(campaignId: $c, branchId: "what-if", settlementId: "port-royal") { nodes { id } } }`,
        v,
      );
      structures = data.structures.nodes;
      if (structures.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(structures).toEqual([]);
    const main = await tree('main');
    expect(main.kingdoms[0].settlements[0].structures.map((s: any) => s.id).sort()).toEqual(['docks', 'keep']);
  });

  it("carries the request's correlation id and the caller into the event metadata", async () => {
    const correlationId = `corr-${randomBytes(4).toString('hex')}`;
    const data = track(
      await alice.ok(
        `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "aurelia", name: "Aurelia Reborn") { seq } }`,
        { c: CAMPAIGN },
        { 'x-correlation-id': correlationId },
      ),
    );
    const stored = await nats.jsm.direct.getMessage(natsNames(system.namespace).eventStream, {
      seq: data.renameKingdom.seq,
    });
    const commit = decodeCommit(stored!.data);
    expect(commit.events).toHaveLength(1);
    expect(commit.events[0]).toMatchObject({
      type: 'KingdomRenamed',
      entityId: 'aurelia',
      metadata: { correlationId, userId: 'alice' },
    });
    expect(stored!.header?.get('Cm-Correlation-Id')).toBe(correlationId);
  });

  it('deletes a branch: reading it is NOT_FOUND, main is untouched', async () => {
    const before = await tree('main', lastSeq);
    track(
      await alice.ok(`mutation($c: ID!) { forkBranch(campaignId: $c, id: "doomed", name: "Short-lived") { seq } }`, {
        c: CAMPAIGN,
      }),
    );
    expect((await tree('doomed', lastSeq)).kingdoms).toEqual(before.kingdoms);
    track(
      await alice.ok(`mutation($c: ID!) { deleteBranch(campaignId: $c, id: "doomed") { seq branch { id } } }`, {
        c: CAMPAIGN,
      }),
    );
    const r = await alice.request(TREE, { id: CAMPAIGN, branchId: 'doomed', minSeq: lastSeq });
    expect(r.errors?.map((e) => e.extensions?.code)).toContain('NOT_FOUND');
    const list = await alice.request(
      `query($c: ID!, $s: Int) { kingdoms(campaignId: $c, branchId: "doomed", minSeq: $s) { nodes { id } } }`,
      { c: CAMPAIGN, s: lastSeq },
    );
    expect(list.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    const writeCodes = await alice.codes(
      `mutation($c: ID!) { createKingdom(campaignId: $c, branchId: "doomed", name: "Ghost") { seq } }`,
      { c: CAMPAIGN },
    );
    expect(writeCodes).toEqual(['NOT_FOUND']);
    const main = await tree('main', lastSeq);
    expect(main.kingdoms).toEqual(before.kingdoms);
    expect(main.branches.map((b: any) => b.id).sort()).toEqual(['main', 'what-if']);
  });

  describe('bad input gets a coded error and changes nothing', () => {
    const cases: [string, GraphQLClient | (() => GraphQLClient), string, Record<string, unknown>, string][] = [];
    const add = (
      name: string,
      who: () => GraphQLClient,
      query: string,
      variables: Record<string, unknown>,
      code: string,
    ) => cases.push([name, who, query, variables, code]);

    add(
      'unknown kingdom',
      () => alice,
      `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "atlantis", name: "x") { seq } }`,
      { c: CAMPAIGN },
      'NOT_FOUND',
    );
    // As a non-member of an existing campaign would be answered: existence does not leak.
    add(
      'unknown campaign',
      () => alice,
      `mutation { createKingdom(campaignId: "no-such-campaign", name: "x") { seq } }`,
      {},
      'FORBIDDEN',
    );
    add(
      'unknown settlement for a structure',
      () => alice,
      `mutation($c: ID!) { createStructure(campaignId: $c, settlementId: "nowhere", name: "x", structureType: "t") { seq } }`,
      { c: CAMPAIGN },
      'NOT_FOUND',
    );
    add(
      'unknown branch',
      () => alice,
      `mutation($c: ID!) { createKingdom(campaignId: $c, branchId: "nope", name: "x") { seq } }`,
      { c: CAMPAIGN },
      'NOT_FOUND',
    );
    add(
      'id with a dot',
      () => alice,
      `mutation($c: ID!) { createKingdom(campaignId: $c, id: "a.b", name: "x") { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'id with a wildcard',
      () => alice,
      `mutation($c: ID!) { createKingdom(campaignId: $c, id: "a>", name: "x") { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'campaign id with a dot',
      () => alice,
      `mutation { createKingdom(campaignId: "x.y", name: "x") { seq } }`,
      {},
      'VALIDATION',
    );
    add(
      'wrong type',
      () => alice,
      `mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "port-royal", level: "high") { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'wrong variable type',
      () => alice,
      `mutation($c: ID!, $l: Int!) { setSettlementLevel(campaignId: $c, id: "port-royal", level: $l) { seq } }`,
      { c: CAMPAIGN, l: 'high' },
      'VALIDATION',
    );
    add(
      'missing field',
      () => alice,
      `mutation($c: ID!) { createKingdom(campaignId: $c) { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'out of range',
      () => alice,
      `mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "port-royal", level: -5) { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'bad geometry',
      () => alice,
      `mutation($c: ID!) { createLocation(campaignId: $c, name: "x", geometry: { type: "Point", coordinates: [500, 1] }) { seq } }`,
      { c: CAMPAIGN },
      'VALIDATION',
    );
    add(
      'duplicate id',
      () => alice,
      `mutation($c: ID!) { createKingdom(campaignId: $c, id: "aurelia", name: "again") { seq } }`,
      { c: CAMPAIGN },
      'ALREADY_EXISTS',
    );
    add(
      "another user's campaign (write)",
      () => bob,
      `mutation($c: ID!) { renameKingdom(campaignId: $c, id: "aurelia", name: "Mine now") { seq } }`,
      { c: CAMPAIGN },
      'FORBIDDEN',
    );
    add(
      "another user's campaign (read)",
      () => bob,
      `query($c: ID!) { kingdoms(campaignId: $c) { nodes { id name } } }`,
      { c: CAMPAIGN },
      'FORBIDDEN',
    );
    add(
      "another user's campaign (members)",
      () => bob,
      `mutation($c: ID!) { addCampaignMember(campaignId: $c, userId: "bob", role: OWNER) { seq } }`,
      { c: CAMPAIGN },
      'FORBIDDEN',
    );
    add('no token', () => anonymous, `query { campaigns { id } }`, {}, 'UNAUTHENTICATED');
    add(
      'garbage token',
      () => anonymous.withToken('not-a-jwt'),
      `mutation { createCampaign(name: "x") { seq } }`,
      {},
      'UNAUTHENTICATED',
    );
    add(
      'a read-your-write the system cannot reach',
      () => alice,
      `query($c: ID!) { kingdoms(campaignId: $c, minSeq: 999999999) { nodes { id } } }`,
      { c: CAMPAIGN },
      'STALE_READ',
    );

    it.each(cases.map((c) => [c[0], c] as const))('%s', async (_name, [, who, query, variables, code]) => {
      const client = typeof who === 'function' ? who() : who;
      const headBefore = await streamHead();
      const mainBefore = await tree('main');
      const r = await client.request(query, variables);
      expect(r.errors?.length, JSON.stringify(r)).toBeGreaterThan(0);
      expect(r.errors!.map((e) => e.extensions?.code)).toContain(code);
      for (const e of r.errors!) expect(e.message).not.toMatch(/\bat .*\.js:\d+/);
      expect(await streamHead()).toBe(headBefore);
      expect(await tree('main')).toEqual(mainBefore);
    });

    it('bob sees none of alice’s campaigns', async () => {
      const data = await bob.ok<{ campaigns: { id: string }[] }>(`query { campaigns { id } }`);
      expect(data.campaigns.map((c) => c.id)).not.toContain(CAMPAIGN);
    });
  });
});
