import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from '@cm/infra';

// What `npm start` tells a person to open: GraphiQL at the GraphQL URL, in a real (headless) Chromium, on a machine
// without internet access. Every asset must come from our own server, and the page must reach the API.
let system: System;
let browser: Browser;

beforeAll(async () => {
  system = await startSystem({
    namespace: `gq${randomBytes(4).toString('hex')}`,
    schema: `gq_${randomBytes(4).toString('hex')}`,
    env: { NODE_ENV: 'development', JWT_SECRET: randomBytes(16).toString('hex') },
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await system?.stop({ cleanup: true });
});

describe('GraphiQL in a browser', () => {
  it('loads from our server alone and runs an operation against the API', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    const foreign: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(new URL(system.graphqlUrl).origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) foreign.push(r.url());
    });

    await page.goto(`${system.graphqlUrl}?query=${encodeURIComponent('{ me { id } }')}`, { waitUntil: 'load' });
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    const answered = page.waitForResponse((r) => r.url().startsWith(system.graphqlUrl) && (r.request().postData() ?? '').includes('me'));
    await page.locator('.graphiql-execute-button').first().click();
    const response = await answered;
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };

    // No token in the page: the API answers with its coded error, which is what a person sees before adding one.
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
    await page.close();
  });
});
