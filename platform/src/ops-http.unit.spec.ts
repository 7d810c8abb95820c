import type http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { closeServer, startOpsServer, type ReadinessCheck } from './ops-http.js';

// `/ready` over a real local HTTP server: it answers at the first failed check or at its deadline, never later,
// whatever a hung dependency does.
const logger = createLogger('ops-http-test', { NODE_ENV: 'test', LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let server: http.Server | undefined;

afterEach(async () => {
  await closeServer(server);
  server = undefined;
});

const hangs: ReadinessCheck = { name: 'hangs', check: () => new Promise(() => undefined) };
const up: ReadinessCheck = { name: 'up', check: async () => ({ detail: 1 }) };

async function ready(
  checks: ReadinessCheck[],
  readyDeadlineMs?: number,
): Promise<{ status: number; body: Record<string, unknown> }> {
  server = await startOpsServer({
    service: 't',
    port: 0,
    host: '127.0.0.1',
    logger,
    registry: createMetrics('t'),
    checks,
    ...(readyDeadlineMs ? { readyDeadlineMs } : {}),
  });
  const { port } = server.address() as { port: number };
  const res = await fetch(`http://127.0.0.1:${port}/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/ready', () => {
  it('answers 200 with every check up', async () => {
    const r = await ready([up]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ready', checks: { up: { status: 'up', detail: 1 } } });
  });

  it('answers 503 at the first failure, with its reason, without waiting for a hung check', async () => {
    const fails: ReadinessCheck = { name: 'nats', check: () => Promise.reject(new Error('nats disconnected for 3 s')) };
    // A deadline far beyond the test's own timeout: only the failure can have answered.
    const r = await ready([hangs, fails, up], 600_000);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({
      status: 'not_ready',
      checks: { nats: { status: 'down', error: 'nats disconnected for 3 s' }, hangs: { status: 'unknown' } },
    });
  });

  it('counts a check that throws synchronously as down', async () => {
    const throws: ReadinessCheck = {
      name: 'throws',
      check: () => {
        throw new Error('boom');
      },
    };
    expect(await ready([throws])).toMatchObject({
      status: 503,
      body: { checks: { throws: { status: 'down', error: 'boom' } } },
    });
  });

  it('answers 503 at its deadline when a check hangs, naming it', async () => {
    const r = await ready([hangs, up], 300);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({
      checks: { hangs: { status: 'down', error: 'no answer within 300 ms' }, up: { status: 'up' } },
    });
  });
});
