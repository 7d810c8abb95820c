import { LOCAL_DEFAULTS } from '@cm/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../read-model/database.js';
import { lastSeq, waitForSagas, type ServiceProcess, until } from '@cm/testkit';
import { dumpTables } from './int-support.test-util.js';
import { ProjectorTestSystem } from './projector-system.test-util.js';
import { TcpProxy } from './tcp-proxy.test-util.js';
import { campaignScript, type Progress } from './workload.test-util.js';

/** Waits as `until` does; a probe of a process that is stopped or gone throws, which counts as not yet. */
const untilReachable = (what: string, probe: () => Promise<boolean>, timeoutMs: number) =>
  until(what, () => probe().catch(() => false), timeoutMs);

/*
 * A projector that cannot write must not keep its lease. Projector A reaches Postgres through a TCP proxy of the
 * test's own, projector B directly. With commands flowing, the proxy is frozen (SIGSTOP): A's statement hangs, A
 * must give up its lease, B must take over and bring the read model to the head while A is still frozen, and A's
 * `/ready` must answer (503, with the reason). Once the proxy resumes, A's hung batch reaches Postgres and must
 * write nothing (the fenced checkpoint), so the read model equals a fresh replay and not one row changed.
 */

const system = new ProjectorTestSystem('projector-stall-test');
const { names } = system;
const CAMPAIGNS = 3;
const TTL_MS = 3000;
let proxy: TcpProxy;
let a: ServiceProcess;
let b: ServiceProcess;
let live: Database;
let fresh: Database;

interface Ready {
  status: string;
  checks: { projector?: { status: string; state?: string; error?: string } };
}

/** `/ready` of a projector process; one that does not answer in 2 s fails the test (the fault this test is about). */
async function ready(p: ServiceProcess): Promise<{ code: number; body: Ready }> {
  const res = await fetch(`http://127.0.0.1:${p.port}/ready`, { signal: AbortSignal.timeout(2000) });
  return { code: res.status, body: (await res.json()) as Ready };
}

/** Starts a projector process that reaches Postgres at `databaseUrl`. */
function startProjector(databaseUrl: string): Promise<ServiceProcess> {
  return system.startService('query-service', {
    QUERY_ROLE: 'projector',
    DATABASE_URL: databaseUrl,
    PROJECTOR_BATCH_SIZE: '50',
    PROJECTOR_LEASE_TTL_MS: String(TTL_MS),
    // Longer than the freeze: A's hung batch is still waiting for its answer when the proxy resumes, so the
    // statement that reaches Postgres then is the one A sent while it held the lease.
    PROJECTION_STATEMENT_TIMEOUT_MS: '120000',
  });
}

beforeAll(async () => {
  await system.start();
  const direct = new URL(process.env.DATABASE_URL ?? LOCAL_DEFAULTS.DATABASE_URL);
  proxy = await TcpProxy.start(direct.hostname, Number(direct.port || 5432));
  const proxied = new URL(direct);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  a = await startProjector(proxied.toString());
  await untilReachable(
    'A to be active',
    async () => (await ready(a)).body.checks.projector?.state === 'active',
    30_000,
  );
  b = await startProjector(direct.toString());
  live = await system.database();
  fresh = await system.database('_fresh');
}, 90_000);

afterAll(async () => {
  proxy?.resume();
  await system.stop();
  await proxy?.stop();
}, 60_000);

describe('a projector whose database connection hangs', () => {
  it('gives up its lease to a standby, says why on /ready, and writes nothing when it wakes', async () => {
    expect((await ready(b)).body.checks.projector?.state).toBe('standby');
    const { client } = system;
    const progress: Progress = { sent: 0, gate: Promise.resolve() };
    const workload = Promise.all(
      Array.from({ length: CAMPAIGNS }, (_, i) => campaignScript(client, `camp${i}`, progress)),
    );

    await untilReachable(
      '300 commands applied by A',
      async () => progress.sent >= 300 && (await live.readModel.checkpoint('postgres')) > 0,
      90_000,
    );
    // Freeze while A is idle at the head, then let commands flow again: A's next batch is then sent into the frozen
    // proxy and has not reached Postgres. (Frozen mid-batch instead, A's statement has usually reached Postgres and
    // committed already; only its answer would hang, and the fence would have nothing to refuse.)
    let resumeWorkload = () => {};
    progress.gate = new Promise((resolve) => (resumeWorkload = resolve));
    await waitForSagas(system.nats, names);
    await untilReachable(
      'A to be idle at the head',
      async () => (await live.readModel.checkpoint('postgres')) === (await lastSeq(system.nats, names)),
      30_000,
    );
    proxy.freeze();
    const frozenAt = await live.readModel.checkpoint('postgres');
    resumeWorkload();

    // B takes over while A is frozen, and the read model moves on past where A stopped.
    await untilReachable(
      'B to take over',
      async () => (await ready(b)).body.checks.projector?.state === 'active',
      30_000,
    );
    await untilReachable(
      'the read model to move past the freeze',
      async () => (await live.readModel.checkpoint('postgres')) > frozenAt,
      30_000,
    );
    const stalled = await ready(a);
    expect(stalled.code).toBe(503);
    expect(stalled.body.checks.projector?.status).toBe('down');
    expect(stalled.body.checks.projector?.error).toMatch(/^projector: no progress for \d+ s/);

    await workload;
    await waitForSagas(system.nats, names);
    const target = await lastSeq(system.nats, names);
    await untilReachable(
      `checkpoint ${target} while A is frozen`,
      async () => (await live.readModel.checkpoint('postgres')) === target,
      90_000,
    );
    expect(progress.sent).toBeGreaterThan(CAMPAIGNS * 300);
    const beforeWake = await dumpTables(live.sql, live.schema, { updatedAt: true });

    // A wakes: its hung batch reaches Postgres, is refused by the fence, and A becomes a healthy standby.
    proxy.resume();
    await untilReachable(
      'A to be a ready standby again',
      async () => {
        const r = await ready(a);
        return r.code === 200 && r.body.checks.projector?.state === 'standby';
      },
      30_000,
    );
    expect(a.tail(400)).toMatch(/checkpoint moved from \d+ to \d+ under this writer/);
    const metrics = await fetch(`http://127.0.0.1:${a.port}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^cm_projector_lease_lost_total\{projection="postgres",cause="stalled"[^}]*\} 1$/m);
    // Not a row, not even an `updated_at`, changed since A woke.
    expect(await dumpTables(live.sql, live.schema, { updatedAt: true })).toEqual(beforeWake);
    expect((await ready(b)).body.checks.projector).toMatchObject({ status: 'up', state: 'active', checkpoint: target });

    const actual = await system.expectFreshProjection(live, fresh, target);
    expect(actual.branch!.length).toBe(CAMPAIGNS * 3);
  }, 300_000);
});
