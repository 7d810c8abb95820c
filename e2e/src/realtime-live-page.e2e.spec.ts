import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { startRealtimeSystem, Writer } from './realtime.test-util.js';

// The live page a person opens beside GraphiQL, in a real headless Chromium: it signs in with the demo token,
// follows the demo campaign over EventSource, and catches up after the gateway process is killed and restarted.
let system: System;
let gateway: string;
let gm: Writer;
let browser: Browser;
const CAMPAIGN = 'shattered-crown';

beforeAll(async () => {
  let secret: string;
  ({ system, secret, gateway } = await startRealtimeSystem());
  gm = await Writer.as(system, secret, 'demo-gm');
  await gm.campaign(CAMPAIGN);
  await gm.kingdom(CAMPAIGN, 'aurelia');
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
  await browser?.close();
  await system?.stop({ cleanup: true });
});

describe('the live page', () => {
  it('shows changes as they happen and catches up after a gateway restart', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway}/`, { waitUntil: 'load' });
    const row = page.locator('tr[data-entity="kingdom:aurelia"]');
    await row.waitFor({ timeout: 20_000 });
    await page.locator('#status.ok').waitFor({ timeout: 20_000 });

    const renamed = await gm.rename(CAMPAIGN, 'aurelia', 'Aurelia the Bright');
    await page
      .locator('tr[data-entity="kingdom:aurelia"] .values', { hasText: 'name=Aurelia the Bright' })
      .waitFor({ timeout: 20_000 });
    expect(await row.locator('.seq').textContent()).toBe(String(renamed));
    expect(await row.locator('.values .changed').textContent()).toContain('name=Aurelia the Bright');

    await system.kill('realtime-gateway', 'SIGKILL');
    const whileDown = await gm.rename(CAMPAIGN, 'aurelia', 'Aurelia in the Dark');
    const created = await gm.kingdom(CAMPAIGN, 'umbra');
    await system.restart('realtime-gateway');

    await page.locator('tr[data-entity="kingdom:umbra"]').waitFor({ timeout: 30_000 });
    await page
      .locator('tr[data-entity="kingdom:aurelia"] .values', { hasText: 'name=Aurelia in the Dark' })
      .waitFor({ timeout: 30_000 });
    expect(await row.locator('.seq').textContent()).toBe(String(whileDown));
    expect(await page.locator('#seq').textContent()).toBe(String(created));
    await page.close();
  });
});
