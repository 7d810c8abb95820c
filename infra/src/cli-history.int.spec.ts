import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '@cm/platform';
import { isolatedNames } from './isolation.js';
import { startSystem, type System } from './launcher.js';
import { repoRoot } from './paths.js';
import { graphql } from './seed/graphql-http.js';

// `cm tail` and `cm replay` over a scripted scenario, against the whole system as processes. `cm tail` runs in a
// real terminal (a pseudo-terminal from util-linux `script`), where it colours its lines.
const run = promisify(execFile);
const cli = join(repoRoot, 'infra/dist/cli.js');
const JWT_SECRET = `cli-${randomBytes(16).toString('hex')}`;
const names = isolatedNames('clih');
const CAMPAIGN = `story-${randomBytes(3).toString('hex')}`;
let system: System;
let token: string;
let tail: ChildProcess;
let tailOutput = '';

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI, '').replace(/\r/g, '');

async function cm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args, '--namespace', names.namespace], {
      env: { ...process.env, NO_COLOR: '' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const gql = (query: string, variables: Record<string, unknown> = {}) =>
  graphql<Record<string, { seq: number }>>(system.graphqlUrl, token, query, { c: CAMPAIGN, ...variables });

/** The scenario, in order; each line is what `cm tail` must print for it (type, then what changed). */
const SCENARIO: [string, RegExp][] = [
  [`mutation($c: ID!) { createCampaign(id: $c, name: "Story") { seq } }`, /CampaignCreated .*name = "Story"/],
  [
    `mutation($c: ID!) { createKingdom(campaignId: $c, id: "realm", name: "Realm") { seq } }`,
    /kingdom:realm {2}KingdomCreated .*name = "Realm"/,
  ],
  [
    `mutation($c: ID!) { createLocation(campaignId: $c, id: "spot", name: "Spot", geometry: { type: "Point", coordinates: [1, 2] }) { seq } }`,
    /LocationCreated/,
  ],
  [
    `mutation($c: ID!) { createSettlement(campaignId: $c, id: "town", kingdomId: "realm", locationId: "spot", name: "Ashford", level: 1) { seq } }`,
    /settlement:town {2}SettlementCreated .*name = "Ashford", level = 1/,
  ],
  [
    `mutation($c: ID!) { renameSettlement(campaignId: $c, id: "town", name: "Ashford Market") { seq } }`,
    /SettlementRenamed .*name "Ashford" → "Ashford Market"/,
  ],
  [
    `mutation($c: ID!) { setSettlementLevel(campaignId: $c, id: "town", level: 2) { seq } }`,
    /SettlementLevelSet .*level 1 → 2/,
  ],
  [
    `mutation($c: ID!) { createStructure(campaignId: $c, id: "mill", settlementId: "town", name: "Mill", structureType: "mill") { seq } }`,
    /StructureCreated/,
  ],
  [
    `mutation($c: ID!) { deleteSettlement(campaignId: $c, id: "town", commandId: "raze-town") { seq } }`,
    /SettlementDeleted .*status "active" → "deleted"/,
  ],
];

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i += 1) await new Promise((r) => setTimeout(r, 100));
  if (!check()) throw new Error(`timed out waiting for ${what}; output so far:\n${plain(tailOutput)}`);
}

beforeAll(async () => {
  system = await startSystem({
    ...names,
    env: { JWT_SECRET, LOG_LEVEL: 'warn' },
    services: ['command-service', 'query-service'],
  });
  token = await signToken(JWT_SECRET, 'alice');
  // `script -q -c CMD /dev/null`: CMD gets a pseudo-terminal as its stdout, as in an operator's shell.
  const command = [
    process.execPath,
    cli,
    'tail',
    '--namespace',
    names.namespace,
    '--campaign',
    CAMPAIGN,
    '--from',
    '1',
    '--limit',
    String(SCENARIO.length + 1),
  ].join(' ');
  tail = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  tail.stdout!.on('data', (chunk: Buffer) => (tailOutput += chunk.toString()));
  tail.stderr!.on('data', (chunk: Buffer) => (tailOutput += chunk.toString()));
  for (const [mutation] of SCENARIO) await gql(mutation);
});

afterAll(async () => {
  if (tail && tail.exitCode === null) tail.kill('SIGTERM');
  await system?.stop({ cleanup: true });
});

describe('cm tail', { timeout: 120_000 }, () => {
  it('prints each event of the scenario as it is written, in order, coloured, with what it changed', async () => {
    // The saga's structure delete follows the settlement delete: one line more than the scenario's writes.
    await waitFor(() => /StructureDeleted/.test(plain(tailOutput)), 'the saga event');
    const lines = plain(tailOutput)
      .split('\n')
      .filter((l) => /^#\d+/.test(l));
    expect(lines).toHaveLength(SCENARIO.length + 1);
    SCENARIO.forEach(([, expected], i) => expect(lines[i]).toMatch(expected));
    expect(lines.at(-1)).toMatch(/structure:mill {2}StructureDeleted/);
    const seqs = lines.map((l) => Number(/^#(\d+)/.exec(l)![1]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(tailOutput).toMatch(ANSI);
  });

  it('filters by type and user, and prints JSON lines', async () => {
    const { stdout, code } = await cm([
      'tail',
      '--campaign',
      CAMPAIGN,
      '--from',
      '1',
      '--type',
      'SettlementRenamed',
      '--type',
      'SettlementLevelSet',
      '--user',
      'alice',
      '--json',
      '--limit',
      '2',
    ]);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.type, e.changes])).toEqual([
      ['SettlementRenamed', [{ field: 'name', before: 'Ashford', after: 'Ashford Market' }]],
      ['SettlementLevelSet', [{ field: 'level', before: 1, after: 2 }]],
    ]);
    expect((await cm(['tail', '--from', 'yesterday-ish'])).code).toBe(2);
  });
});

// Several CLI processes per test, each a Node start-up, on a machine other test runs share.
describe('cm replay', { timeout: 120_000 }, () => {
  it("tells an entity's story in order with its diffs", async () => {
    const { stdout, code } = await cm([
      'replay',
      '--campaign',
      CAMPAIGN,
      '--entity-type',
      'settlement',
      '--entity',
      'town',
    ]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/alice: settlement town in main created: .*name = "Ashford"/);
    expect(lines[1]).toMatch(/alice: settlement town in main renamed: name "Ashford" → "Ashford Market"/);
    expect(lines[2]).toMatch(/level set: level 1 → 2/);
    expect(lines[3]).toMatch(/deleted: status "active" → "deleted"/);
  });

  it('replays a command with the saga commands it caused, and a sequence range as JSON', async () => {
    const byCommand = await cm(['replay', '--command', 'raze-town']);
    expect(byCommand.code).toBe(0);
    const lines = byCommand.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/settlement town in main deleted/);
    expect(lines[1]).toMatch(/structure mill in main deleted: status "active" → "deleted" \(caused by event .+\)/);
    const all = (await cm(['replay', '--campaign', CAMPAIGN, '--json', '--no-diff'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const [, second, third] = all;
    const ranged = (
      await cm([
        'replay',
        '--campaign',
        CAMPAIGN,
        '--from',
        String(second.seq),
        '--to',
        String(third.seq),
        '--json',
        '--no-diff',
      ])
    ).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(ranged.map((e) => e.seq)).toEqual([second.seq, third.seq]);
    expect((await cm(['replay', '--command', 'no-such-command'])).code).toBe(1);
  });

  it('has help', async () => {
    for (const name of ['tail', 'replay'])
      expect((await cm([name, '--help'])).stdout).toMatch(new RegExp(`Usage: cm ${name}`));
  });
});

describe('cm seed --size', { timeout: 120_000 }, () => {
  it('writes a generated campaign of that many writes, readable once it returns', async () => {
    const campaign = `gen-${randomBytes(3).toString('hex')}`;
    const { code, stdout, stderr } = await (async () => {
      try {
        return {
          code: 0,
          ...(await run(process.execPath, [
            cli,
            'seed',
            '--size',
            '100',
            '--campaign',
            campaign,
            '--url',
            system.graphqlUrl,
            '--token',
            token,
            '--json',
          ])),
        };
      } catch (e) {
        return e as { code: number; stdout: string; stderr: string };
      }
    })();
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({
      campaignId: campaign,
      writes: 101,
      plan: { kingdoms: 2, settlements: 12, locations: 12, structures: 40, variables: 30, conditions: 4 },
    });
    expect(stderr).toMatch(/100% 101\/101/);
    const data = await graphql<any>(
      system.graphqlUrl,
      token,
      `
        query ($c: ID!) {
          campaign(id: $c) {
            kingdoms {
              nodes {
                settlements {
                  nodes {
                    structures {
                      nodes {
                        id
                      }
                    }
                    variables {
                      nodes {
                        key
                      }
                    }
                  }
                }
              }
            }
            fieldConditions {
              nodes {
                id
              }
            }
          }
        }
      `,
      { c: campaign },
    );
    // Lists are connections; every page here (50 by default) holds the whole list.
    const settlements = data.campaign.kingdoms.nodes.flatMap((k: any) => k.settlements.nodes);
    expect(settlements).toHaveLength(12);
    expect(settlements.flatMap((s: any) => s.structures.nodes)).toHaveLength(40);
    expect(settlements.flatMap((s: any) => s.variables.nodes)).toHaveLength(30);
    expect(data.campaign.fieldConditions.nodes).toHaveLength(4);
  });
});
