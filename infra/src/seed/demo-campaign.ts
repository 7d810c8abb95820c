import { DEMO_BRANCH_ID, DEMO_CAMPAIGN_ID } from '@cm/contracts';
import { graphql, GraphQLRequestError } from './graphql-http.js';

export { DEMO_BRANCH_ID, DEMO_CAMPAIGN_ID, DEMO_USER } from '@cm/contracts';

interface Step {
  /** Also the suffix of the command id: stable, so a re-run inside the duplicate window is de-duplicated. */
  key: string;
  mutation: string;
  variables: Record<string, unknown>;
}

const c = DEMO_CAMPAIGN_ID;
const result = '{ seq duplicate commitId }';

const point = (lon: number, lat: number) => ({ type: 'Point', coordinates: [lon, lat] });
const polygon = (ring: [number, number][]) => ({ type: 'Polygon', coordinates: [[...ring, ring[0]!]] });

const kingdom = (id: string, name: string): Step => ({
  key: `kingdom-${id}`,
  mutation: `mutation($c: ID!, $id: ID!, $name: String!, $cmd: String) { createKingdom(campaignId: $c, id: $id, name: $name, commandId: $cmd) ${result} }`,
  variables: { c, id, name },
});
const location = (id: string, name: string, geometry: unknown): Step => ({
  key: `location-${id}`,
  mutation: `mutation($c: ID!, $id: ID!, $name: String!, $g: GeoJSON!, $cmd: String) { createLocation(campaignId: $c, id: $id, name: $name, geometry: $g, commandId: $cmd) ${result} }`,
  variables: { c, id, name, g: geometry },
});
const settlement = (id: string, name: string, kingdomId: string, locationId: string, level: number): Step => ({
  key: `settlement-${id}`,
  mutation: `mutation($c: ID!, $id: ID!, $name: String!, $k: ID!, $l: ID!, $level: Int, $cmd: String) {
    createSettlement(campaignId: $c, id: $id, name: $name, kingdomId: $k, locationId: $l, level: $level, commandId: $cmd) ${result} }`,
  variables: { c, id, name, k: kingdomId, l: locationId, level },
});
const structure = (
  id: string,
  name: string,
  settlementId: string,
  structureType: string,
  level: number,
  condition: number,
): Step => ({
  key: `structure-${id}`,
  mutation: `mutation($c: ID!, $id: ID!, $name: String!, $s: ID!, $t: String!, $level: Int, $cond: Int, $cmd: String) {
    createStructure(campaignId: $c, id: $id, name: $name, settlementId: $s, structureType: $t, level: $level, condition: $cond, commandId: $cmd) ${result} }`,
  variables: { c, id, name, s: settlementId, t: structureType, level, cond: condition },
});
const variable = (ownerType: string, ownerId: string, key: string, type: string, value: unknown): Step => ({
  key: `variable-${ownerId}-${key}`,
  mutation: `mutation($c: ID!, $ot: OwnerType!, $oid: ID!, $key: String!, $v: VariableValueInput!, $cmd: String) {
    setStateVariable(campaignId: $c, ownerType: $ot, ownerId: $oid, key: $key, value: $v, commandId: $cmd) ${result} }`,
  variables: { c, ot: ownerType, oid: ownerId, key, v: { type, value } },
});

/** The demo world, in dependency order. Coordinates are longitude, latitude (SRID 4326). */
const STEPS: Step[] = [
  {
    key: 'campaign',
    mutation: `mutation($c: ID!, $name: String!, $d: String, $cmd: String) { createCampaign(id: $c, name: $name, description: $d, commandId: $cmd) ${result} }`,
    variables: {
      c,
      name: 'The Shattered Crown',
      d: 'The old empire has fallen; two kingdoms fight over the shards of its crown.',
    },
  },
  {
    key: 'member-demo-player',
    mutation: `mutation($c: ID!, $cmd: String) { addCampaignMember(campaignId: $c, userId: "demo-player", role: PLAYER, commandId: $cmd) ${result} }`,
    variables: { c },
  },
  kingdom('aurelia', 'Aurelia'),
  kingdom('varkhold', 'Varkhold'),
  location('silverport', 'Silverport Harbour', point(12.4964, 41.9028)),
  location('greymarch', 'Greymarch Pass', point(13.3777, 42.3498)),
  location(
    'thornwood',
    'The Thornwood',
    polygon([
      [12.6, 42.0],
      [13.1, 42.0],
      [13.1, 42.3],
      [12.6, 42.3],
    ]),
  ),
  location(
    'crown-vale',
    'Crown Vale',
    polygon([
      [12.2, 41.6],
      [12.9, 41.6],
      [12.9, 41.95],
      [12.2, 41.95],
    ]),
  ),
  settlement('silverport-town', 'Silverport', 'aurelia', 'silverport', 3),
  settlement('greymarch-keep', 'Greymarch Keep', 'varkhold', 'greymarch', 2),
  structure('silverport-docks', 'The Salt Docks', 'silverport-town', 'harbor', 2, 90),
  structure('silverport-temple', 'Temple of the Tide', 'silverport-town', 'temple', 1, 100),
  structure('greymarch-walls', 'Greymarch Walls', 'greymarch-keep', 'fortification', 3, 70),
  variable('CAMPAIGN', c, 'currentYear', 'NUMBER', 1247),
  variable('KINGDOM', 'aurelia', 'treasury', 'NUMBER', 5000),
  variable('SETTLEMENT', 'silverport-town', 'population', 'NUMBER', 12000),
  variable('SETTLEMENT', 'silverport-town', 'prosperity', 'STRING', 'thriving'),
  variable('SETTLEMENT', 'greymarch-keep', 'besieged', 'BOOLEAN', false),
  {
    key: 'field-condition-defense',
    mutation: `mutation($c: ID!, $e: JSON!, $cmd: String) {
      defineFieldCondition(campaignId: $c, id: "settlement-defense", entityType: SETTLEMENT, field: "defenseRating", expression: $e, priority: 10, commandId: $cmd) ${result} }`,
    // Defense grows with the settlement's level and the levels of its structures.
    variables: { c, e: { '+': [{ '*': [{ var: 'level' }, 10] }, { sum: ['structures', 'level'] }] } },
  },
  {
    key: 'world-event-red-comet',
    mutation: `mutation($c: ID!, $effects: [EffectInput!], $cmd: String) {
      scheduleWorldEvent(campaignId: $c, id: "red-comet", name: "The Red Comet", description: "A comet the colour of blood crosses the sky.",
        scheduledAt: "2031-03-01T00:00:00Z", expiresAt: "2031-03-08T00:00:00Z", effects: $effects, commandId: $cmd) ${result} }`,
    variables: {
      c,
      effects: [
        {
          ownerType: 'SETTLEMENT',
          ownerId: 'silverport-town',
          key: 'omen',
          value: { type: 'STRING', value: 'the sky bleeds' },
        },
      ],
    },
  },
  {
    key: `branch-${DEMO_BRANCH_ID}`,
    mutation: `mutation($c: ID!, $cmd: String) { forkBranch(campaignId: $c, id: "${DEMO_BRANCH_ID}", parentBranchId: "main", name: "What if Greymarch fell?", commandId: $cmd) ${result} }`,
    variables: { c },
  },
  {
    key: `${DEMO_BRANCH_ID}-greymarch-ruined`,
    mutation: `mutation($c: ID!, $cmd: String) { renameSettlement(campaignId: $c, branchId: "${DEMO_BRANCH_ID}", id: "greymarch-keep", name: "Greymarch Ruins", commandId: $cmd) ${result} }`,
    variables: { c },
  },
  {
    key: `${DEMO_BRANCH_ID}-greymarch-walls-fallen`,
    mutation: `mutation($c: ID!, $cmd: String) { setStructureCondition(campaignId: $c, branchId: "${DEMO_BRANCH_ID}", id: "greymarch-walls", condition: 5, commandId: $cmd) ${result} }`,
    variables: { c },
  },
];

export interface SeedSummary {
  created: number;
  /** Steps whose entity was there already (an earlier seed). */
  existing: number;
  /** Stream sequence of the last write, for `minSeq`. */
  lastSeq: number;
}

/**
 * Writes the demo campaign through the public GraphQL API, as `token`'s user (who becomes its owner), and returns
 * once the read model has applied it.
 * Idempotent: command ids are fixed (de-duplicated inside the stream's window) and an entity that exists
 * already (`ALREADY_EXISTS`) counts as seeded, so a second run changes nothing.
 */
export async function seedDemoCampaign(
  graphqlUrl: string,
  token: string,
  log: (line: string) => void = () => {},
): Promise<SeedSummary> {
  const summary: SeedSummary = { created: 0, existing: 0, lastSeq: 0 };
  for (const step of STEPS) {
    try {
      const data = await graphql<Record<string, { seq: number; duplicate: boolean; commitId: string }>>(
        graphqlUrl,
        token,
        step.mutation,
        {
          ...step.variables,
          cmd: `seed:${DEMO_CAMPAIGN_ID}:${step.key}`,
        },
      );
      const r = Object.values(data)[0]!;
      summary.lastSeq = Math.max(summary.lastSeq, r.seq);
      // A duplicate command, or one that changed nothing (no commit), means an earlier seed did this already.
      const existed = r.duplicate || r.commitId === '';
      if (existed) summary.existing += 1;
      else summary.created += 1;
      log(`${existed ? 'exists ' : 'created'}  ${step.key} (seq ${r.seq})`);
    } catch (e) {
      if (e instanceof GraphQLRequestError && e.code === 'ALREADY_EXISTS') {
        summary.existing += 1;
        log(`exists   ${step.key}`);
        continue;
      }
      throw new Error(
        `seeding ${step.key} failed: ${(e as Error).message}${e instanceof GraphQLRequestError && e.code ? ` [${e.code}]` : ''}`,
      );
    }
  }
  // The writes are acknowledged, not yet readable: wait (read-your-writes) until the read model holds the last one,
  // so whoever prints "seeded" can send the reader straight to the data.
  if (summary.lastSeq > 0)
    await graphql(
      graphqlUrl,
      token,
      `
        query ($id: ID!, $s: Int) {
          campaign(id: $id, minSeq: $s) {
            id
          }
        }
      `,
      { id: DEMO_CAMPAIGN_ID, s: summary.lastSeq },
    );
  return summary;
}
