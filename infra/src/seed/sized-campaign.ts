import { graphql } from './graphql-http.js';

/** One write of a generated campaign. */
interface Write {
  mutation: string;
  variables: Record<string, unknown>;
}

/** How many of each entity a campaign of `size` writes; together they make `size` writes. */
export interface SizedPlan {
  kingdoms: number;
  locations: number;
  settlements: number;
  structures: number;
  variables: number;
  conditions: number;
}

/**
 * Per hundred writes: 2 kingdoms, 12 locations and 12 settlements (one each), 40 structures, 30 state variables
 * and the rest field conditions, the proportions of a played campaign where most rows are structures and
 * variables. The campaign itself is one more write.
 */
export function planOf(size: number): SizedPlan {
  const kingdoms = Math.max(1, Math.round(size * 0.02));
  const settlements = Math.max(1, Math.round(size * 0.12));
  const structures = Math.round(size * 0.4);
  const variables = Math.round(size * 0.3);
  const conditions = Math.max(0, size - kingdoms - 2 * settlements - structures - variables);
  return { kingdoms, locations: settlements, settlements, structures, variables, conditions };
}

const result = '{ seq }';

/** The writes of a generated campaign in phases: each phase only refers to entities of earlier phases. */
export function sizedPhases(campaignId: string, size: number): Write[][] {
  const plan = planOf(size);
  const c = campaignId;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const kingdom = (i: number) => `k${i}`;
  const settlement = (i: number) => `s${i}`;
  return [
    [
      {
        mutation: `mutation($c: ID!, $name: String!) { createCampaign(id: $c, name: $name) ${result} }`,
        variables: { c, name: `Generated campaign of ${size}` },
      },
    ],
    [
      ...range(plan.kingdoms).map((i) => ({
        mutation: `mutation($c: ID!, $id: ID!, $name: String!) { createKingdom(campaignId: $c, id: $id, name: $name) ${result} }`,
        variables: { c, id: kingdom(i), name: `Kingdom ${i}` },
      })),
      ...range(plan.locations).map((i) => ({
        mutation: `mutation($c: ID!, $id: ID!, $name: String!, $g: GeoJSON!) { createLocation(campaignId: $c, id: $id, name: $name, geometry: $g) ${result} }`,
        // A grid of points around the map's origin, so spatial queries have something to find.
        variables: {
          c,
          id: `l${i}`,
          name: `Place ${i}`,
          g: { type: 'Point', coordinates: [10 + (i % 100) * 0.05, 40 + Math.floor(i / 100) * 0.05] },
        },
      })),
    ],
    range(plan.settlements).map((i) => ({
      mutation: `mutation($c: ID!, $id: ID!, $name: String!, $k: ID!, $l: ID!, $level: Int) { createSettlement(campaignId: $c, id: $id, name: $name, kingdomId: $k, locationId: $l, level: $level) ${result} }`,
      variables: {
        c,
        id: settlement(i),
        name: `Settlement ${i}`,
        k: kingdom(i % plan.kingdoms),
        l: `l${i}`,
        level: 1 + (i % 5),
      },
    })),
    [
      ...range(plan.structures).map((i) => ({
        mutation: `mutation($c: ID!, $id: ID!, $name: String!, $s: ID!, $t: String!, $level: Int) { createStructure(campaignId: $c, id: $id, name: $name, settlementId: $s, structureType: $t, level: $level) ${result} }`,
        variables: {
          c,
          id: `st${i}`,
          name: `Structure ${i}`,
          s: settlement(i % plan.settlements),
          t: ['farm', 'mill', 'temple', 'wall', 'market'][i % 5],
          level: 1 + (i % 3),
        },
      })),
      ...range(plan.variables).map((i) => ({
        mutation: `mutation($c: ID!, $o: ID!, $key: String!, $v: VariableValueInput!) { setStateVariable(campaignId: $c, ownerType: SETTLEMENT, ownerId: $o, key: $key, value: $v) ${result} }`,
        variables: {
          c,
          o: settlement(i % plan.settlements),
          key: `stat${Math.floor(i / plan.settlements)}`,
          v: { type: 'NUMBER', value: i },
        },
      })),
      ...range(plan.conditions).map((i) => ({
        mutation: `mutation($c: ID!, $id: ID!, $field: String!, $e: JSON!) { defineFieldCondition(campaignId: $c, id: $id, entityType: SETTLEMENT, field: $field, expression: $e) ${result} }`,
        variables: { c, id: `fc${i}`, field: `computed${i}`, e: { '*': [{ var: 'level' }, i + 1] } },
      })),
    ],
  ];
}

/**
 * Writes a generated campaign of `size` writes through the GraphQL API, `concurrency` in flight within a phase,
 * reporting each write to `progress`. Returns the last sequence written, once the read model holds it.
 */
export async function seedSizedCampaign(
  url: string,
  token: string,
  campaignId: string,
  size: number,
  opts: { concurrency: number; progress: (done: number, total: number) => void },
): Promise<{ writes: number; lastSeq: number; plan: SizedPlan }> {
  const phases = sizedPhases(campaignId, size);
  const total = phases.reduce((n, p) => n + p.length, 0);
  let done = 0;
  let lastSeq = 0;
  for (const phase of phases) {
    let next = 0;
    const worker = async () => {
      while (next < phase.length) {
        const write = phase[next++]!;
        const data = await graphql<Record<string, { seq: number }>>(url, token, write.mutation, write.variables);
        lastSeq = Math.max(lastSeq, Object.values(data)[0]!.seq);
        opts.progress(++done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, phase.length) }, worker));
  }
  await graphql(
    url,
    token,
    `
      query ($id: ID!, $s: Int) {
        campaign(id: $id, minSeq: $s) {
          id
        }
      }
    `,
    { id: campaignId, s: lastSeq },
  );
  return { writes: total, lastSeq, plan: planOf(size) };
}
