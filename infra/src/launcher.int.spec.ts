import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { natsNames, type CommandReply } from '@cm/contracts';
import { isolatedNames } from './isolation.js';
import { startSystem, ServiceStartError, type System } from './launcher.js';
import { dropNamespace } from './namespace-cleanup.js';
import { natsUrl, withNats } from './nats-admin.js';

// The launcher against the real command service: a real process on a free port, in its own namespace.
const names = isolatedNames('lch');
let system: System;

const alive = (pid: number | undefined): boolean => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0; // nothing listens
  }
}

beforeAll(async () => {
  system = await startSystem({ ...names, services: ['command-service'], env: { LOG_LEVEL: 'warn' } });
});

afterAll(async () => {
  // Also deletes <PREFIX>_EVENTS (and anything else of the namespace) and the log directory.
  await system?.stop({ cleanup: true });
});

describe('startSystem', () => {
  it('starts the command service on a free port and waits until it is ready', async () => {
    const url = system.urls['command-service']!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).not.toBe(4001);
    expect(await status(`${url}/ready`)).toBe(200);
    expect(system.env).toMatchObject({ CM_NAMESPACE: names.namespace, DATABASE_SCHEMA: names.schema });
    expect(() => system.graphqlUrl).toThrow(/no GraphQL API/);
  });

  it('runs the service in its namespace: commands on <namespace>.cmd.* are answered', async () => {
    const nc = await connect({ servers: natsUrl() });
    try {
      const id = `c${Date.now()}`;
      const command = {
        commandId: `launcher-test-${id}`,
        type: 'campaign.create',
        campaignId: id,
        branchId: 'main',
        aggregateId: id,
        payload: { name: 'Launcher test' },
        actor: { userId: 'tester' },
        correlationId: id,
        issuedAt: new Date().toISOString(),
      };
      const msg = await nc.request(
        natsNames(names.namespace).commandSubject('campaign.create'),
        JSON.stringify(command),
        { timeout: 5000 },
      );
      const reply = msg.json<CommandReply>();
      expect(reply).toMatchObject({ ok: true, seq: 1, aggregateId: id });
    } finally {
      await nc.close();
    }
  });

  it('kills a service with SIGKILL and restarts it on the same port', async () => {
    const url = system.urls['command-service']!;
    const before = system.pid('command-service');
    const exit = await system.kill('command-service', 'SIGKILL');
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(before)).toBe(false);
    expect(await status(`${url}/health`)).toBe(0);

    await system.restart('command-service');
    expect(system.pid('command-service')).not.toBe(before);
    expect(await status(`${url}/ready`)).toBe(200);
  });

  it('reports a service that cannot start with its last log lines', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'cm-launcher-test-'));
    onTestFinished(() => rmSync(logDir, { recursive: true, force: true }));
    const { namespace } = isolatedNames('lch');
    onTestFinished(() => dropNamespace({ namespace }));
    const failed = startSystem({
      namespace,
      logDir,
      services: ['command-service'],
      serviceEnv: { 'command-service': { CONFLICT_RETRIES: 'many' } },
      readyTimeoutMs: 20_000,
    });
    await expect(failed).rejects.toBeInstanceOf(ServiceStartError);
    await expect(failed).rejects.toThrow(
      /command-service did not become ready: exited \(code 78\)[\s\S]*CONFLICT_RETRIES/,
    );
  });

  it('provisions the NATS resources; a service configured otherwise refuses to start, naming the difference', async () => {
    const { namespace } = isolatedNames('lch');
    onTestFinished(() => dropNamespace({ namespace }));
    const failed = startSystem({
      namespace,
      services: ['command-service'],
      env: { DUPLICATE_WINDOW_MS: '120000' },
      serviceEnv: { 'command-service': { DUPLICATE_WINDOW_MS: '60000' } },
      readyTimeoutMs: 20_000,
    });
    await expect(failed).rejects.toBeInstanceOf(ServiceStartError);
    const stream = natsNames(namespace).eventStream;
    await expect(failed).rejects.toThrow(
      `stream ${stream}: duplicate_window is 120000 ms, this service expects 60000 ms; run \`npm run cm -- provision\``,
    );
    await expect(failed).rejects.toThrow(/exited \(code 78\)/);
    // The provisioner made the stream with the launcher's settings, and the service changed nothing.
    await withNats('launcher-test', async ({ jsm }) => {
      expect((await jsm.streams.info(stream)).config.duplicate_window).toBe(120_000 * 1_000_000);
    });
  });

  it('a service whose consumer is set up otherwise than it expects refuses to start, naming the difference', async () => {
    const { namespace } = isolatedNames('lcc');
    onTestFinished(() => dropNamespace({ namespace }));
    const failed = startSystem({
      namespace,
      services: ['scheduler-service'],
      serviceEnv: { 'scheduler-service': { SCHEDULER_JOB_ACK_WAIT_MS: '5000' } },
      readyTimeoutMs: 20_000,
    });
    await expect(failed).rejects.toThrow(
      'consumer scheduler-workers: ack_wait is 30000 ms, this service expects 5000 ms; run `npm run cm -- provision`',
    );
    await expect(failed).rejects.toThrow(/exited \(code 78\)/);
    await withNats('launcher-test', async ({ jsm }) => {
      const info = await jsm.consumers.info(natsNames(namespace).jobStream, 'scheduler-workers');
      expect(info.config.ack_wait).toBe(30_000 * 1_000_000);
    });
  });

  it('stop ends every process and frees the port; cleanup deletes the namespace and the logs', async () => {
    const url = system.urls['command-service']!;
    const pid = system.pid('command-service');
    await system.stop();
    expect(alive(pid)).toBe(false);
    expect(await status(`${url}/health`)).toBe(0);
    const logDir = system.logDir!;
    expect(existsSync(logDir)).toBe(true);
    await system.stop({ cleanup: true });
    expect(existsSync(logDir)).toBe(false);
    await withNats('launcher-test', async ({ jsm }) => {
      await expect(jsm.streams.info(natsNames(names.namespace).eventStream)).rejects.toThrow(/stream not found/);
    });
  });
});

describe('the placeholder services', () => {
  it('start, answer /ready with their NATS check, and stop on SIGTERM', async () => {
    // scheduler-service and realtime-gateway are no placeholders any more: their e2e specs start them with the
    // streams they need.
    const placeholders = await startSystem({
      ...isolatedNames('ph'),
      services: ['rules-service'],
      env: { LOG_LEVEL: 'warn' },
    });
    try {
      for (const name of ['rules-service'] as const) {
        const res = await fetch(`${placeholders.urls[name]}/ready`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ service: name, checks: { nats: { status: 'up' } } });
      }
    } finally {
      await placeholders.stop({ cleanup: true });
    }
  });
});
