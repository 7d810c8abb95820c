import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER } from '@cm/contracts';
import { startSystem, type System } from '@cm/infra';
import { WORKSPACE } from '@cm/testkit';

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
  // What `npm start` does before it prints the URL: `cm seed`, the built CLI as its own process.
  await promisify(execFile)(process.execPath, [
    join(WORKSPACE, 'infra/dist/cli.js'),
    'seed',
    '--url',
    system.graphqlUrl,
    '--token',
    await system.token(DEMO_USER),
  ]);
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

/** Clicks ▶ and returns the API's answer to the operation it sent. */
async function execute(
  page: Page,
): Promise<{ data?: Record<string, any>; errors?: { extensions?: { code?: string } }[] }> {
  const answered = page.waitForResponse(
    (r) =>
      r.url().startsWith(system.graphqlUrl) &&
      r.request().method() === 'POST' &&
      !(r.request().postData() ?? '').includes('IntrospectionQuery'),
  );
  await page.locator('.graphiql-execute-button').first().click();
  return (await (await answered).json()) as Awaited<ReturnType<typeof execute>>;
}

describe('GraphiQL in a browser', () => {
  it('opens signed in as the demo game master on the demo campaign: the first ▶ shows it', async () => {
    const page = await browser.newPage();
    // The schema request carries the prefilled token: schema, completion and docs work from the start.
    const introspected = page.waitForResponse(
      (r) => r.url().startsWith(system.graphqlUrl) && (r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await page.goto(system.graphqlUrl, { waitUntil: 'load' });
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    const schema = (await (await introspected).json()) as { data?: { __schema?: unknown }; errors?: unknown[] };
    expect(schema.errors).toBeUndefined();
    expect(schema.data?.__schema).toBeDefined();
    // yoga's welcome text is gone: the editor holds the demo campaign query.
    await expect.poll(() => page.locator('.graphiql-query-editor').first().innerText()).toContain('shattered-crown');

    const body = await execute(page);
    expect(body.errors).toBeUndefined();
    expect(body.data?.['campaign']).toMatchObject({
      id: 'shattered-crown',
      name: 'The Shattered Crown',
      myRole: 'OWNER',
    });
    // What the person sees in the result pane (CodeMirror draws spaces as no-break spaces).
    const shown = async () => (await page.locator('.graphiql-response').first().innerText()).replace(/\s+/g, ' ');
    await expect.poll(shown, { timeout: 10_000 }).toContain('"name": "The Shattered Crown"');

    // The second tab: a mutation, then its read-back with minSeq.
    expect(await page.locator('.graphiql-tab').count()).toBe(2);
    await page.close();
  });

  it('loads from our server alone and runs an operation against the API', async () => {
    const page = await browser.newPage();
    const failed: string[] = [];
    const foreign: string[] = [];
    page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    page.on('request', (r) => {
      if (
        !r.url().startsWith(new URL(system.graphqlUrl).origin) &&
        !r.url().startsWith('data:') &&
        !r.url().startsWith('blob:')
      )
        foreign.push(r.url());
    });

    await page.goto(`${system.graphqlUrl}?query=${encodeURIComponent('{ me { id } }')}`, { waitUntil: 'load' });
    await page.locator('.graphiql-container').first().waitFor({ timeout: 20_000 });
    const answered = page.waitForResponse(
      (r) =>
        r.url().startsWith(system.graphqlUrl) &&
        (r.request().postData() ?? '').includes('me') &&
        !(r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    await page.locator('.graphiql-execute-button').first().click();
    const response = await answered;
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };

    // Signed in by the page itself (development only): the operation runs as the demo user.
    expect(body.errors).toBeUndefined();
    expect((body as { data?: { me?: { id?: string } } }).data?.me?.id).toBe(DEMO_USER);
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
    await page.close();
  });
});
