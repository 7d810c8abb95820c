import { randomUUID } from 'node:crypto';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats, signToken, type Nats } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distEntry, freePort, ServiceProcess, testNamespace } from '@cm/testkit';
import { dropSchema, openTestDatabase, testLogger } from '../projector/int-support.test-util.js';
import { OwnNatsServer } from './nats-server.test-util.js';

/*
 * Fail fast while NATS is down. The services run as processes against a nats-server of the test's own, which the
 * test kills (SIGKILL) and starts again on the same port and store. While it is down a mutation answers
 * UNAVAILABLE at once with Retry-After, the mutations in flight when it died are answered (not left to time out),
 * /ready answers 503 at once, and a read that needs only Postgres still works. Once it is back, mutations succeed
 * again, and every acknowledged command is in the stream exactly once, including those resent with the same
 * commandId after an UNAVAILABLE.
 */

const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
const JWT_SECRET = 'nats-outage-test-secret-0123456789';
const C = 'outage';
let server: OwnNatsServer;
let commands: ServiceProcess;
let query: ServiceProcess;
let token: string;

interface Answer {
  status: number;
  retryAfter: string | null;
  body: {
    data?: Record<string, { seq: number; duplicate?: boolean } | null> | null;
    errors?: Array<{ extensions?: { code?: string } }>;
  };
}

async function gql(query_: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${query.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: query_, variables }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Answer['body'] };
}

const CREATE_KINGDOM = `mutation($c: ID!, $id: ID!, $cmd: String!) { createKingdom(campaignId: $c, id: $id, name: "K", commandId: $cmd) { seq duplicate } }`;

/** One kingdom per command id, so that a resent command id is the same command. */
const createKingdom = (commandId: string) =>
  gql(CREATE_KINGDOM, { c: C, id: `k-${commandId.slice(0, 8)}`, cmd: commandId });
const codeOf = (a: Answer) =>
  a.body.errors?.length ? (a.body.errors[0]!.extensions?.code ?? 'no code') : a.body.data ? 'ok' : `HTTP ${a.status}`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await work();
  return [value, performance.now() - started];
}

async function ready(): Promise<{
  status: number;
  body: { checks: Record<string, { status: string; error?: string }> };
}> {
  const res = await fetch(`http://127.0.0.1:${query.port}/ready`);
  return { status: res.status, body: (await res.json()) as never };
}

beforeAll(async () => {
  server = new OwnNatsServer(await freePort());
  await server.start();
  const common = {
    CM_NAMESPACE: ns,
    NATS_URL: server.url,
    NODE_ENV: 'test',
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    JWT_SECRET,
  };
  const commandPort = await freePort();
  commands = new ServiceProcess(
    'command-service',
    distEntry('command-service'),
    { ...common, COMMAND_OPS_PORT: String(commandPort) },
    commandPort,
  );
  commands.start();
  await commands.waitReady();
  const queryPort = await freePort();
  query = new ServiceProcess(
    'query-service',
    distEntry('query-service'),
    // Long enough that a mutation left waiting for a reply that cannot come would show as TIMEOUT, never as a pass.
    {
      ...common,
      QUERY_HOST: '127.0.0.1',
      QUERY_PORT: String(queryPort),
      DATABASE_SCHEMA: schema,
      COMMAND_TIMEOUT_MS: '30000',
    },
    queryPort,
  );
  query.start();
  await query.waitReady();
  token = await signToken(JWT_SECRET, 'gm-1');
}, 90_000);

afterAll(async () => {
  await query?.kill('SIGTERM');
  await commands?.kill('SIGTERM');
  await server?.dispose();
  const db = await openTestDatabase(ns, schema);
  await dropSchema(db.sql, schema);
  await db.close();
}, 60_000);

describe('while NATS is down', () => {
  it('answers mutations UNAVAILABLE at once, keeps Postgres reads, and loses nothing once NATS is back', async () => {
    expect(codeOf(await gql(`mutation($c: ID!) { createCampaign(id: $c, name: "Outage") { seq } }`, { c: C }))).toBe(
      'ok',
    );
    const acknowledged = new Set<string>();
    const refused = new Set<string>();
    const unexpected: string[] = [];

    // Eight clients send mutations one after another until told to stop; the server dies under them.
    let sending = true;
    const client = async () => {
      while (sending) {
        const commandId = randomUUID();
        const answer = await createKingdom(commandId);
        const code = codeOf(answer);
        if (code === 'ok') acknowledged.add(commandId);
        else if (code === 'UNAVAILABLE' && answer.retryAfter !== null) refused.add(commandId);
        else unexpected.push(`${code} retry-after=${answer.retryAfter}`);
      }
    };
    const clients = Array.from({ length: 8 }, client);
    while (acknowledged.size < 100) await new Promise((r) => setTimeout(r, 20));
    await server.kill('SIGKILL');
    sending = false;
    // Those in flight when the connection dropped are answered too (none waits out COMMAND_TIMEOUT_MS for TIMEOUT).
    await Promise.all(clients);
    expect(unexpected).toEqual([]);

    // Down: /ready says so, mutations are refused at once with Retry-After, Postgres reads go on.
    const [readiness, readyMs] = await timed(ready);
    expect(readiness.status).toBe(503);
    expect(readiness.body.checks['nats']).toMatchObject({
      status: 'down',
      error: expect.stringMatching(/^nats disconnected for \d+ s$/),
    });
    expect(readyMs).toBeLessThan(200);
    const lateId = randomUUID();
    const [late, lateMs] = await timed(() => createKingdom(lateId));
    expect(codeOf(late)).toBe('UNAVAILABLE');
    expect(late.retryAfter).toBe('1');
    expect(lateMs).toBeLessThan(200);
    refused.add(lateId);
    const read = await gql(`query($c: ID!) { campaign(id: $c) { id name } }`, { c: C });
    expect(read.body).toEqual({ data: { campaign: { id: C, name: 'Outage' } } });

    // Back on the same port and store: mutations succeed again within 2 s (the client retries every 500 ms).
    await server.start();
    const back = performance.now();
    let again = await createKingdom(randomUUID());
    while (codeOf(again) !== 'ok' && performance.now() - back < 10_000) {
      await new Promise((r) => setTimeout(r, 50));
      again = await createKingdom(randomUUID());
    }
    expect(codeOf(again)).toBe('ok');
    expect(performance.now() - back).toBeLessThan(2000);

    // Everything refused is safe to resend with its command id: applied once, whether or not it was the first time.
    for (const commandId of refused) {
      const answer = await createKingdom(commandId);
      expect(codeOf(answer), commandId).toBe('ok');
      acknowledged.add(commandId);
    }

    // Every acknowledged command is in the stream exactly once (the stream de-duplicates by Nats-Msg-Id).
    const nats: Nats = await connectNats(server.url, 'nats-outage-test', testLogger());
    try {
      const perCommand = new Map<string, number>();
      const last = (await nats.jsm.streams.info(names.eventStream)).state.last_seq;
      const consumer = await nats.js.consumers.get(names.eventStream);
      const messages = await consumer.consume();
      for await (const m of messages) {
        const id = m.headers?.get('Nats-Msg-Id') ?? '';
        perCommand.set(id, (perCommand.get(id) ?? 0) + 1);
        if (m.seq >= last) break;
      }
      const notOnce = [...acknowledged].filter((id) => perCommand.get(id) !== 1);
      expect(notOnce).toEqual([]);
      expect(acknowledged.size).toBeGreaterThan(100);
    } finally {
      await closeNats(nats);
    }
  }, 120_000);
});
