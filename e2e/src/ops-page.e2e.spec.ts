import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames } from '@cm/contracts';
import { isolatedNames, startSystem, type System } from '@cm/infra';
import type { Nats } from '@cm/platform';
import { closeTestNats, CommandClient, connectTestNats } from '@cm/testkit';

// The ops page in a real headless Chromium, against the real system with the API and the projector in separate
// processes: the projector is frozen (SIGSTOP) and the lag the page shows must rise, then fall once it resumes.
const names = isolatedNames('opspage');
const nn = natsNames(names.namespace);
let system: System;
let browser: Browser;
let nats: Nats;
let frozen: number | undefined;

beforeAll(async () => {
  system = await startSystem({
    ...names,
    services: ['command-service', 'query-api', 'query-projector'],
    env: { NODE_ENV: 'development', LOG_LEVEL: 'warn' },
  });
  nats = await connectTestNats('e2e-ops-page');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  if (frozen) process.kill(frozen, 'SIGCONT');
  await browser?.close();
  await closeTestNats(nats);
  await system?.stop({ cleanup: true });
});

describe('the ops page', () => {
  it('shows the projection lag rising while the projector is stopped and falling after it resumes, with no external assets', async () => {
    const commands = new CommandClient(nats, names.namespace);
    const campaignId = `ops${Date.now()}`;
    expect((await commands.send('campaign.create', campaignId, campaignId, { name: 'Ops page' })).ok).toBe(true);

    const page = await browser.newPage();
    const foreign: string[] = [];
    const base = system.urls['query-api']!;
    page.on('request', (r) => {
      if (!r.url().startsWith(base)) foreign.push(r.url());
    });
    await page.goto(`${base}/ops`);
    const row = page.locator(`#consumer-${nn.projectionConsumer('postgres')}`);
    const behind = async () => Number(await row.getAttribute('data-seconds-behind'));
    await row.waitFor();
    await page.waitForFunction(
      (id) => document.getElementById(id)?.dataset.secondsBehind === '0',
      `consumer-${nn.projectionConsumer('postgres')}`,
      { timeout: 30_000 },
    );

    frozen = system.pid('query-projector')!;
    process.kill(frozen, 'SIGSTOP');
    for (let i = 0; i < 5; i += 1)
      expect((await commands.send('kingdom.create', campaignId, `k${i}`, { name: `Kingdom ${i}` })).ok).toBe(true);
    await page.waitForFunction(
      (id) => Number(document.getElementById(id)?.dataset.secondsBehind) > 2,
      `consumer-${nn.projectionConsumer('postgres')}`,
      { timeout: 30_000 },
    );
    const risen = await behind();
    await sleep(1500);
    expect(await behind()).toBeGreaterThan(risen);
    // The chart holds the rise: a line for the projection with a point above the baseline.
    const line = page.locator(`polyline[data-consumer="${nn.eventStream}/${nn.projectionConsumer('postgres')}"]`);
    expect((await line.getAttribute('points'))!.split(' ').length).toBeGreaterThan(2);

    process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await page.waitForFunction(
      (id) => document.getElementById(id)?.dataset.secondsBehind === '0',
      `consumer-${nn.projectionConsumer('postgres')}`,
      { timeout: 60_000 },
    );
    expect(Number(await page.locator('#max-behind').getAttribute('data-value'))).toBe(0);
    expect(foreign).toEqual([]);
  });
});
