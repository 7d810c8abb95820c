import http2 from 'node:http2';
import { createClient, type Client } from 'graphql-sse';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { signToken } from '@cm/platform';
import {
  h2Get,
  http2Fetch,
  selfSignedCertificate,
  startGateway,
  type ExtraGateway,
} from './realtime-http2.test-util.js';
import { inParallel, metricValue, startRealtimeSystem, Writer } from './realtime.test-util.js';
import { SseReader } from './sse-client.test-util.js';

// The gateway over HTTP/2: TLS with HTTP/1.1 fallback on one port (ALPN), and cleartext HTTP/2 by prior knowledge
// beside HTTP/1.1. Two extra gateway processes beside the system's own (gateways share nothing), fed by the real
// command service over the real NATS; clients are Node's http2, graphql-sse's own client and headless Chromium.
let system: System;
let secret: string;
let gm: Writer;
let gmToken: string;
let tlsGateway: ExtraGateway;
let h2cGateway: ExtraGateway;
let cert: Buffer;
const sessions: http2.ClientHttp2Session[] = [];
const C1 = 'crown';
const C2 = 'other';
const PAGE_CAMPAIGN = 'h2-page';

const tlsSession = (settings: http2.Settings = {}) => {
  const s = http2.connect(tlsGateway.url, { ca: cert, settings });
  sessions.push(s);
  return s;
};
const auth = () => ({ authorization: `Bearer ${gmToken}` });
const seqs = (r: SseReader) => r.updates().map((u) => u.seq);

beforeAll(async () => {
  ({ system, secret } = await startRealtimeSystem());
  gm = await Writer.as(system, secret, 'gm');
  gmToken = await signToken(secret, 'gm');
  await gm.campaign(C1);
  await gm.campaign(C2);
  await gm.kingdom(C1, 'k1');
  await gm.kingdom(C2, 'k2');
  const demo = await Writer.as(system, secret, 'demo-gm');
  await demo.campaign(PAGE_CAMPAIGN);
  await demo.kingdom(PAGE_CAMPAIGN, 'aurelia');
  const tls = selfSignedCertificate();
  cert = tls.cert;
  [tlsGateway, h2cGateway] = await Promise.all([
    startGateway(
      system,
      {
        REALTIME_TLS_CERT: tls.certFile,
        REALTIME_TLS_KEY: tls.keyFile,
        REALTIME_HEARTBEAT_MS: '300',
        // Small, so that a paused reader passes it after a few dozen events.
        REALTIME_QUEUE_MAX_BYTES: '4096',
      },
      (url) => http2.connect(url, { ca: cert }),
      'https',
    ),
    startGateway(system, { REALTIME_HTTP2: 'h2c' }, (url) => http2.connect(url), 'http'),
  ]);
}, 120_000);

afterAll(async () => {
  sessions.forEach((s) => s.destroy());
  await tlsGateway?.stop();
  await h2cGateway?.stop();
  await system?.stop({ cleanup: true });
});

describe('HTTP/2 over TLS', () => {
  it('multiplexes plain-SSE subscriptions on one session, with ids, proxy-safe headers and heartbeats', async () => {
    const session = tlsSession();
    const events = (q: string, headers: Record<string, string> = {}) =>
      SseReader.openHttp2(session, `/events?${q}`, { ...auth(), ...headers });
    const [crown, other, typed] = await Promise.all([
      events(`campaign=${C1}&coalesce=0`),
      events(`campaign=${C2}&coalesce=0`),
      events(`campaign=${C1}&types=KingdomCreated&coalesce=0`),
    ]);
    expect((session.socket as unknown as { alpnProtocol: string }).alpnProtocol).toBe('h2');
    expect(crown.status).toBe(200);
    expect(crown.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(crown.headers['cache-control']).toBe('no-cache, no-transform');
    expect(crown.headers['x-accel-buffering']).toBe('no');
    expect(crown.headers['content-encoding']).toBe('identity');
    expect(crown.headers.connection).toBeUndefined();

    const renamed = await gm.rename(C1, 'k1', 'Aurelia over h2');
    const elsewhere = await gm.rename(C2, 'k2', 'Elsewhere over h2');
    const created = await gm.kingdom(C1, 'k-h2');
    await crown.until((r) => seqs(r).includes(created), 20_000, 'the crown events');
    await other.until((r) => seqs(r).includes(elsewhere), 20_000, 'the other campaign');
    await typed.until((r) => seqs(r).includes(created), 20_000, 'the typed event');
    expect(seqs(crown)).toEqual([renamed, created]);
    expect(crown.messages.filter((m) => m.event === 'message').map((m) => m.id)).toEqual([
      String(renamed),
      String(created),
    ]);
    expect(seqs(other)).toEqual([elsewhere]);
    expect(seqs(typed)).toEqual([created]);
    // Heartbeats (every 300 ms on this gateway) are comment lines on the idle stream.
    await other.until((r) => r.comments >= 2, 10_000, 'two heartbeats');
    [crown, other, typed].forEach((r) => r.close());
  });

  it('resumes with Last-Event-ID exactly after the given sequence, on the same session', async () => {
    const session = tlsSession();
    const first = await SseReader.openHttp2(session, `/events?campaign=${C1}&coalesce=0`, auth());
    const a = await gm.rename(C1, 'k1', 'before the gap');
    await first.until((r) => seqs(r).includes(a), 20_000, 'the first event');
    first.close();
    const missed: number[] = [];
    for (let i = 0; i < 10; i++) {
      missed.push(await gm.rename(C1, 'k1', `missed ${i}`));
      await gm.rename(C2, 'k2', `not ours ${i}`);
    }
    const back = await SseReader.openHttp2(session, `/events?campaign=${C1}&coalesce=0`, {
      ...auth(),
      'last-event-id': String(a),
    });
    await back.until((r) => seqs(r).includes(missed.at(-1)!), 20_000, 'the missed events');
    const live = await gm.rename(C1, 'k1', 'live again');
    await back.until((r) => seqs(r).includes(live), 20_000, 'the live event');
    expect(seqs(back)).toEqual([...missed, live]);
    back.close();
  });

  it('answers /health, /ready, /metrics and plain SSE over HTTP/1.1 on the same TLS port', async () => {
    for (const path of ['/health', '/ready', '/metrics']) {
      const r = await h2Get(tlsSession(), path);
      expect(r.status, path).toBe(200);
    }
    const over1 = await SseReader.open(`${tlsGateway.url}/events?campaign=${C1}&coalesce=0`, auth(), { ca: cert });
    expect(over1.status).toBe(200);
    expect(over1.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const seq = await gm.rename(C1, 'k1', 'over HTTP/1.1 and TLS');
    await over1.until((r) => seqs(r).includes(seq), 20_000, 'the event over HTTP/1.1');
    over1.close();
  });

  it.each([false, true])('serves graphql-sse (singleConnection: %s) over one HTTP/2 session', async (single) => {
    const session = tlsSession();
    const client: Client = createClient({
      url: `${tlsGateway.url}/graphql/stream`,
      headers: auth(),
      singleConnection: single,
      retryAttempts: 0,
      fetchFn: http2Fetch(session),
    });
    const results: { data?: { campaignEvents: { seq: number; campaignId: string } } }[] = [];
    const open = async () => {
      const m = await h2Get(session, '/metrics', {}, true);
      return metricValue(m.body, 'realtime_subscriptions');
    };
    const base = await open();
    const errors: unknown[] = [];
    const dispose = [C1, C2].map((c) =>
      client.subscribe(
        {
          query: `subscription($c: ID!) { campaignEvents(campaignId: $c, coalesce: false) { seq campaignId } }`,
          variables: { c },
        },
        { next: (r) => void results.push(r as never), error: (e) => void errors.push(e), complete: () => undefined },
      ),
    );
    const deadline = Date.now() + 20_000;
    while ((await open()) < base + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const one = await gm.rename(C1, 'k1', `gql ${single}`);
    const two = await gm.rename(C2, 'k2', `gql ${single}`);
    while (results.length < 2 && Date.now() < deadline + 20_000) await new Promise((r) => setTimeout(r, 50));
    const got = results.map((r) => [r.data?.campaignEvents.campaignId, r.data?.campaignEvents.seq]);
    expect(got).toEqual(
      expect.arrayContaining([
        [C1, one],
        [C2, two],
      ]),
    );
    expect(got).toHaveLength(2);
    expect(errors).toEqual([]);
    dispose.forEach((d) => d());
    client.dispose();
  });

  it('cuts a paused HTTP/2 reader off at its bound while others keep receiving; it resumes exactly', async () => {
    // A reader that takes nothing, with a small stream window, so its bytes pile up in the gateway rather than in
    // flight: past the 1 KB window, the HTTP/2 stream's write buffer (up to 64 KB) and the 4 KB queue, 250
    // events of ~420 bytes overflow it.
    const slowSession = tlsSession({ initialWindowSize: 1024 });
    const slow = await SseReader.openHttp2(slowSession, `/events?campaign=${C1}&coalesce=0`, auth(), {
      paused: true,
    });
    const brisk = await SseReader.openHttp2(tlsSession(), `/events?campaign=${C1}&coalesce=0`, auth());
    const before = metricValue((await h2Get(tlsSession(), '/metrics')).body, 'realtime_dropped_total', 'SLOW_CONSUMER');
    const written = (
      await inParallel(
        4,
        Array.from({ length: 250 }, (_, i) => () => gm.rename(C1, 'k1', `flood ${i} ${'x'.repeat(180)}`)),
      )
    ).sort((x, y) => x - y);
    await brisk.until((r) => seqs(r).includes(written.at(-1)!), 30_000, 'every flood event on the brisk reader');
    expect(seqs(brisk)).toEqual(written);
    const after = metricValue((await h2Get(tlsSession(), '/metrics')).body, 'realtime_dropped_total', 'SLOW_CONSUMER');
    expect(after).toBe(before + 1);

    slow.read();
    await slow.until((r) => r.ended, 20_000, 'the cut-off stream to end');
    const seen = seqs(slow);
    expect(seen.length).toBeLessThan(written.length);
    const back = await SseReader.openHttp2(tlsSession(), `/events?campaign=${C1}&coalesce=0`, {
      ...auth(),
      'last-event-id': slow.lastEventId!,
    });
    await back.until((r) => seqs(r).includes(written.at(-1)!), 20_000, 'the rest after the cut-off');
    expect([...seen, ...seqs(back)]).toEqual(written);
    [brisk, back].forEach((r) => r.close());
  });
});

describe('cleartext HTTP/2 (h2c)', () => {
  it('serves SSE to a prior-knowledge client and HTTP/1.1 on the same port', async () => {
    const session = http2.connect(h2cGateway.url);
    sessions.push(session);
    const r = await SseReader.openHttp2(session, `/events?campaign=${C1}&coalesce=0`, auth());
    expect(r.status).toBe(200);
    expect(r.headers.connection).toBeUndefined();
    const ready = await h2Get(session, '/ready', {}, true);
    expect(ready.status).toBe(200);
    const over1 = await SseReader.open(`${h2cGateway.url}/events?campaign=${C1}&coalesce=0`, auth());
    const seq = await gm.rename(C1, 'k1', 'over h2c');
    await r.until((x) => seqs(x).includes(seq), 20_000, 'the event over h2c');
    await over1.until((x) => seqs(x).includes(seq), 20_000, 'the event over HTTP/1.1');
    expect(r.messages.at(-1)!.id).toBe(String(seq));
    r.close();
    over1.close();
  });
});

describe('the live page over HTTP/2', () => {
  let browser: Browser;
  afterAll(async () => browser?.close());

  it('loads over h2 and shows a mutation made over GraphQL', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`${tlsGateway.url}/?campaign=${PAGE_CAMPAIGN}`, { waitUntil: 'load' });
    const protocol = await page.evaluate(
      () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
    );
    expect(protocol).toBe('h2');
    await page.locator('tr[data-entity="kingdom:aurelia"]').waitFor({ timeout: 20_000 });
    await page.locator('#status.ok').waitFor({ timeout: 20_000 });
    const demo = await Writer.as(system, secret, 'demo-gm');
    const seq = await demo.rename(PAGE_CAMPAIGN, 'aurelia', 'Aurelia over h2');
    await page
      .locator('tr[data-entity="kingdom:aurelia"] .values', { hasText: 'name=Aurelia over h2' })
      .waitFor({ timeout: 20_000 });
    expect(await page.locator('tr[data-entity="kingdom:aurelia"] .seq').textContent()).toBe(String(seq));
    await context.close();
  });
});

describe('shutdown', () => {
  it('ends open HTTP/2 streams with SHUTTING_DOWN, sends GOAWAY and exits cleanly', async () => {
    const session = tlsSession();
    const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    const r = await SseReader.openHttp2(session, `/events?campaign=${C1}&coalesce=0`, auth());
    const code = await tlsGateway.stop();
    await r.until((x) => x.ended, 20_000, 'the stream to end');
    expect(r.messages.map((m) => m.event)).toContain('SHUTTING_DOWN');
    await goaway;
    expect(code).toBe(0);
  });
});
