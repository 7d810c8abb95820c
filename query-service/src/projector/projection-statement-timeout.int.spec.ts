import { natsNames } from '@cm/contracts';
import { createMetrics, ensureEventStream, LOCAL_DEFAULTS, type Nats } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../read-model/database.js';
import { event, publishCommit } from './events.test-util.js';
import { closeTestNats, connectTestNats, dropNamespace, testNamespace, until } from '@cm/testkit';
import { dropSchema, openTestDatabase, testConfig, testLogger } from './int-support.test-util.js';
import { startProjector, type Projector } from './postgres-projector.js';
import { TcpProxy } from './tcp-proxy.test-util.js';

// The two bounds on a projection statement: Postgres cancels one that runs past PROJECTION_STATEMENT_TIMEOUT_MS,
// and the projector stops waiting for one whose connection never answers (a proxy of the test's own, frozen).
const ns = testNamespace();
const names = natsNames(ns);
const schema = `rm_${ns}`;
let nats: Nats;
let direct: Database;
let proxy: TcpProxy;
const closing: Array<() => Promise<void>> = [];

beforeAll(async () => {
  nats = await connectTestNats('statement-timeout-test');
  await ensureEventStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 120_000 });
  direct = await openTestDatabase(ns, schema);
  const url = new URL(process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL);
  proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
});

afterAll(async () => {
  proxy?.resume();
  for (const close of closing.reverse()) await close();
  await proxy?.stop();
  if (direct) {
    await dropSchema(direct.sql, schema);
    await direct.close();
  }
  if (nats) await dropNamespace(nats, names);
  await closeTestNats(nats);
});

describe('projection statement timeout', () => {
  it('is Postgres statement_timeout on the projection pool, and only there', async () => {
    const projection = await openDatabase(testConfig(ns, schema), testLogger(), { statementTimeoutMs: 200 });
    closing.push(() => projection.close());
    const e = (await projection.sql.all('select pg_sleep(1)').catch((err: unknown) => err)) as {
      code?: string;
      cause?: { code?: string };
    };
    expect(e.code ?? e.cause?.code).toBe('57014'); // query_canceled
    expect(await direct.sql.all<{ ok: number }>('select 1 as ok from pg_sleep(0.3)')).toEqual([{ ok: 1 }]);
  });

  it('bounds the wait for a connection that never answers; the projector resumes once it does', async () => {
    const url = new URL(process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const env = {
      DATABASE_URL: url.toString(),
      PROJECTOR_LEASE_TTL_MS: '2000',
      PROJECTION_STATEMENT_TIMEOUT_MS: '300',
    };
    const config = testConfig(ns, schema, env);
    const db = await openDatabase(config, testLogger(), { statementTimeoutMs: config.PROJECTION_STATEMENT_TIMEOUT_MS });
    closing.push(() => db.close());
    await db.ping();
    proxy.freeze();
    const projector: Projector = await startProjector({
      config,
      logger: testLogger(),
      nats,
      names,
      db,
      registry: createMetrics('timeout'),
    });
    closing.push(() => projector.stop());
    const lastError = await until('the bounded wait to expire', () => projector.status().lastError);
    expect(lastError).toBe('reading the checkpoint: no answer from Postgres within 1300 ms');
    await expect(projector.checks[0]!.check()).rejects.toThrow(/^projector/);

    proxy.resume();
    const seq = await publishCommit(nats, names, [
      event('KingdomCreated', { name: 'Aurelia' }, { campaignId: 'c1', entityId: 'k1' }),
    ]);
    await until(`checkpoint ${seq}`, async () => (await direct.readModel.checkpoint('postgres')) === seq || undefined);
    await until('the projector to be ready again', () =>
      projector.checks[0]!.check().then(
        (info) => info,
        () => undefined,
      ),
    );
    expect(projector.status()).toMatchObject({ state: 'active', checkpoint: seq });
  });
});
