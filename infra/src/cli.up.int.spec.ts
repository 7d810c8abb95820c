import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '@cm/platform';
import { DEMO_BRANCH_ID, DEMO_CAMPAIGN_ID, DEMO_USER } from './seed/demo-campaign.js';
import { graphql } from './seed/graphql-http.js';
import { isolatedNames } from './isolation.js';
import { dropNamespace } from './namespace-cleanup.js';
import { repoRoot } from './paths.js';

// `cm up` as an operator runs it, in its own namespace and schema on free ports: it seeds, prints where to
// point a client, and stops every service on SIGTERM.
const names = isolatedNames('up');
const JWT_SECRET = `up-test-${Date.now()}-secret`;
afterAll(() => dropNamespace(names));

describe('cm up', () => {
  it('runs the seeded system until SIGTERM', { timeout: 120_000 }, async () => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, 'infra/dist/cli.js'),
        'up',
        '--namespace',
        names.namespace,
        '--schema',
        names.schema,
        '--query-port',
        '0',
        '--command-port',
        '0',
        '--realtime-port',
        '0',
        '--rules-port',
        '0',
        '--scheduler-port',
        '0',
      ],
      {
        env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', JWT_SECRET },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await Promise.race([
        new Promise<void>((resolve) => {
          const poll = setInterval(() => stdout.includes('Stop ') && (clearInterval(poll), resolve()), 100);
        }),
        exited.then((code) => Promise.reject(new Error(`cm up exited with ${code}\n${stdout}\n${stderr}`))),
      ]);
      expect(stdout).toMatch(new RegExp(`Demo campaign\\s+${DEMO_CAMPAIGN_ID} \\(23 written, 0 already there\\)`));
      const url = stdout.match(/GraphQL endpoint\s+(http:\/\/localhost:\d+\/graphql)/)?.[1];
      expect(url).toBeDefined();
      expect(stdout).toMatch(/"Authorization": "Bearer [\w-]+\.[\w-]+\.[\w-]+"/);
      const live = stdout.match(/Live page\s+open (http:\/\/localhost:\d+)\//)?.[1];
      expect(live).toBeDefined();
      expect(await (await fetch(`${live}/`)).text()).toContain('EventSource');

      const token = await signToken(JWT_SECRET, DEMO_USER);
      const data = await graphql<{
        campaign: { name: string; branches: { id: string }[] };
        settlements: { nodes: { id: string; name: string }[] };
      }>(
        url!,
        token,
        `{ campaign(id: "${DEMO_CAMPAIGN_ID}") { name branches { id } } settlements(campaignId: "${DEMO_CAMPAIGN_ID}", branchId: "${DEMO_BRANCH_ID}") { nodes { id name } } }`,
      );
      expect(data.campaign.name).toBe('The Shattered Crown');
      expect(data.campaign.branches.map((b) => b.id).sort()).toEqual(['main', DEMO_BRANCH_ID]);
      expect(data.settlements.nodes.find((s) => s.id === 'greymarch-keep')?.name).toBe('Greymarch Ruins');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/\[cm\] stopped/);
  });
});
