import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyToken } from '@cm/platform';
import { isolatedNames } from './isolation.js';
import { dropNamespace } from './namespace-cleanup.js';
import { withNats } from './nats-admin.js';
import { repoRoot } from './paths.js';

// The built CLI as an operator runs it (`npm run cm -- ...`), as a separate process.
const run = promisify(execFile);
const cli = join(repoRoot, 'infra/dist/cli.js');

async function cm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
      env: { ...process.env, NODE_ENV: 'development', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('cm token', () => {
  it('prints a token that platform verifyToken accepts for the user', async () => {
    const secret = `test-${randomBytes(16).toString('hex')}`;
    const { code, stdout } = await cm(['token', 'alice'], { JWT_SECRET: secret });
    expect(code).toBe(0);
    await expect(verifyToken(secret, stdout.trim())).resolves.toEqual({ userId: 'alice' });
    await expect(verifyToken(`other-${secret}`, stdout.trim())).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses to mint tokens in production', async () => {
    const { code, stdout, stderr } = await cm(['token', 'alice'], {
      NODE_ENV: 'production',
      JWT_SECRET: randomBytes(16).toString('hex'),
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/refusing .* NODE_ENV=production/);
  });

  it('answers a usage error with exit code 2 and a pointer to --help', async () => {
    const missing = await cm(['token']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/needs a <userId>[\s\S]*--help/);
    expect((await cm(['token', 'not.an.id'])).code).toBe(2);
    expect((await cm(['no-such-command'])).code).toBe(2);
  });
});

describe('cm provision and cm streams', () => {
  const { namespace } = isolatedNames('cli');
  const upper = namespace.toUpperCase();
  afterAll(() => dropNamespace({ namespace }));

  it('creates the streams, lease bucket and consumers once, then finds them', async () => {
    const first = await cm(['provision', '--namespace', namespace, '--lease-ttl-ms', '5000']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`${upper}_EVENTS\\s+created`));
    expect(first.stdout).toMatch(/consumer projection-postgres\s+created/);
    expect(first.stdout).toMatch(/consumer projection-redis\s+created/);
    expect(first.stdout).toMatch(/consumer cache-invalidation\s+created/);
    expect(first.stdout).toMatch(/consumer saga-settlement-cascade\s+created/);
    expect(first.stdout).toMatch(/consumer scheduler-workers\s+created/);
    expect(first.stdout).toMatch(new RegExp(`${upper}_JOBS\\s+created`));
    const second = await cm(['provision', '--namespace', namespace, '--lease-ttl-ms', '5000']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`${upper}_EVENTS\\s+unchanged`));
    expect(second.stdout).toMatch(/KV \S+\s+unchanged/);
    expect(second.stdout).toMatch(/consumer projection-postgres\s+exists/);
    expect(second.stdout).toMatch(new RegExp(`${upper}_JOBS\\s+unchanged`));

    const streams = await cm(['streams', '--namespace', namespace, '--json']);
    expect(streams.code).toBe(0);
    const report = JSON.parse(streams.stdout) as { name: string; consumers: { name: string; pending: number }[] }[];
    expect(report.map((r) => r.name)).toEqual([`${upper}_EVENTS`, `${upper}_JOBS`, `KV_${upper}_leases`].sort());
    const consumers = report.find((r) => r.name === `${upper}_EVENTS`)!.consumers;
    expect(consumers.map((c) => [c.name, c.pending]).sort()).toEqual([
      ['cache-invalidation', 0],
      ['projection-postgres', 0],
      ['projection-redis', 0],
      ['saga-settlement-cascade', 0],
      ['saga-world-event-effects', 0],
    ]);
    const jobConsumers = report.find((r) => r.name === `${upper}_JOBS`)!.consumers;
    expect(jobConsumers.map((c) => c.name)).toEqual(['scheduler-workers']);
  });

  it('updates a setting that changed, from the option or the variable the services read, and only then', async () => {
    const changed = await cm(['provision', '--namespace', namespace, '--duplicate-window-ms', '60000'], {
      PROJECTOR_LEASE_TTL_MS: '7000',
    });
    expect(changed.code).toBe(0);
    expect(changed.stdout).toMatch(new RegExp(`${upper}_EVENTS\\s+updated`));
    expect(changed.stdout).toMatch(/KV \S+\s+updated/);
    const again = await cm(['provision', '--namespace', namespace], {
      DUPLICATE_WINDOW_MS: '60000',
      PROJECTOR_LEASE_TTL_MS: '7000',
    });
    expect(again.stdout).toMatch(new RegExp(`${upper}_EVENTS\\s+unchanged`));
    expect(again.stdout).toMatch(/KV \S+\s+unchanged/);

    const config = await withNats('cli-test', async (nats) => ({
      stream: (await nats.jsm.streams.info(`${upper}_EVENTS`)).config,
      bucket: (await nats.jsm.streams.info(`KV_${upper}_leases`)).config,
    }));
    expect(config.stream.duplicate_window).toBe(60_000 * 1_000_000);
    expect(config.bucket.max_age).toBe(7_000 * 1_000_000);
  });

  it('reads its settings through the shared loader: a bad value is a configuration error (exit 78)', async () => {
    const bad = await cm(['provision', '--namespace', namespace, '--duplicate-window-ms', '10']);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/DUPLICATE_WINDOW_MS/);
  });
});
