import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, waitForSagas, type ServiceProcess, until } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { ProjectorTestSystem } from './projector-system.test-util.js';
import { campaignScript, type Progress } from './workload.test-util.js';

/*
 * The key acceptance test of the Postgres projection: the real command service and the real projector process,
 * thousands of commands, the projector SIGKILLed twice mid-flow and restarted. Once it has caught up, the read
 * model must equal a fresh projection of the whole stream: nothing lost, nothing applied twice, in any table.
 */

const system = new ProjectorTestSystem('projector-processes-test');
const { names } = system;
const CAMPAIGNS = 8;
let projector: ServiceProcess;
let live: Database;
let fresh: Database;

beforeAll(async () => {
  await system.start();
  projector = await system.startService('query-service', {
    QUERY_ROLE: 'projector',
    PROJECTOR_BATCH_SIZE: '50',
    // A SIGKILLed holder's lease lingers this long before the restarted process can take over.
    PROJECTOR_LEASE_TTL_MS: '2000',
  });
  live = await system.database();
  fresh = await system.database('_fresh');
}, 60_000);

afterAll(() => system.stop(), 60_000);

describe('postgres projector process under SIGKILL', () => {
  it('ends equal to a fresh projection of the whole stream', async () => {
    const { client } = system;
    const progress: Progress = { sent: 0, gate: Promise.resolve() };
    const workload = Promise.all(
      Array.from({ length: CAMPAIGNS }, (_, i) => campaignScript(client, `camp${i}`, progress)),
    );
    const state = async () =>
      (
        (await fetch(`http://127.0.0.1:${projector.port}/ready`).then((r) => r.json())) as {
          checks: { projector?: { state?: string } };
        }
      ).checks.projector?.state;
    const killAndRestart = async () => {
      // The projector must be working when it dies, not idle.
      expect(await state()).toBe('active');
      expect(await live.readModel.checkpoint('postgres')).toBeGreaterThan(0);
      await projector.kill('SIGKILL');
      projector.start();
    };
    const chaos = (async () => {
      await until('800 commands', async () => progress.sent >= 800, 90_000);
      await killAndRestart();
      // Hold the workload until the restarted projector has the lease (the dead one's lingers for its TTL), so
      // that the second kill hits an active projector while commands still flow.
      let resume = () => {};
      progress.gate = new Promise((r) => (resume = r));
      await projector.waitReady();
      await until('the restarted projector to be active', async () => (await state()) === 'active', 30_000);
      resume();
      const resumedAt = progress.sent;
      await until(`${resumedAt + 800} commands`, async () => progress.sent >= resumedAt + 800, 90_000);
      await killAndRestart();
      await projector.waitReady();
      return resumedAt + 800;
    })();
    const [, secondKillAt] = await Promise.all([workload, chaos]);
    expect(secondKillAt).toBeLessThan(progress.sent - 500);
    expect(progress.sent).toBeGreaterThan(2500);

    await waitForSagas(system.nats, names);
    const target = await lastSeq(system.nats, names);
    await until(`checkpoint ${target}`, async () => (await live.readModel.checkpoint('postgres')) === target, 90_000);
    const ready = await fetch(`http://127.0.0.1:${projector.port}/ready`).then((r) => r.json());
    expect(ready).toMatchObject({
      status: 'ready',
      checks: {
        postgres: { status: 'up' },
        nats: { status: 'up' },
        projector: { status: 'up', state: 'active', checkpoint: target },
      },
    });

    const actual = await system.expectFreshProjection(live, fresh, target);
    expect(actual.branch!.length).toBe(CAMPAIGNS * 3);
    expect(actual.structure!.length).toBeGreaterThan(CAMPAIGNS * 40 * 2);
  }, 300_000);

  it('answers 404 beside the ops endpoints in the projector role, and releases its lease on SIGTERM', async () => {
    const other = await fetch(`http://127.0.0.1:${projector.port}/graphql`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(
      (await fetch(`http://127.0.0.1:${projector.port}/metrics`).then((r) => r.text())).includes(
        'cm_projector_checkpoint',
      ),
    ).toBe(true);
    await projector.kill('SIGTERM');
    expect(projector.exitCode()).toBe(0);
    const lease = await (await new Kvm(system.nats.js).open(names.leaseBucket)).get('projection-postgres');
    expect(lease?.operation).toBe('DEL');
  }, 60_000);
});
