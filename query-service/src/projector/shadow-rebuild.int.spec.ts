import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeq, type ServiceProcess, waitForSagas } from '@cm/testkit';
import type { Database } from '../read-model/database.js';
import { ProjectorTestSystem } from './projector-system.test-util.js';
import { killRebuildProcesses, readThroughout, runRebuildProcess, until } from './rebuild-process.test-util.js';
import { oldSchemaPrefix, shadowSchema, type RebuildProgress } from './shadow-rebuild.js';
import { campaignScript, type Progress } from './workload.test-util.js';

/*
 * `cm rebuild postgres` end to end, minus the CLI's rendering: the real command service and query service
 * (API and projector) as processes, commands flowing and GraphQL queries reading throughout, the rebuild process
 * SIGKILLed half way, then run again to completion. No query may fail, and the read model the swap left (and
 * the live projector then carried on) must equal a fresh projection of the stream, row for row.
 */

const system = new ProjectorTestSystem('shadow-rebuild-test');
const { schema } = system;
const secret = `rebuild-${system.ns}-secret-0123456789`;
let query: ServiceProcess;
let live: Database;
let fresh: Database;

/** Runs the rebuild process; `onProgress` may kill it. */
const rebuild = (args: string[], onProgress?: Parameters<typeof runRebuildProcess>[2]) =>
  runRebuildProcess({ ...system.env, DATABASE_SCHEMA: schema }, args, onProgress);

beforeAll(async () => {
  await system.start();
  query = await system.startService('query-service', {
    QUERY_ROLE: 'all',
    JWT_SECRET: secret,
    PROJECTOR_BATCH_SIZE: '50',
  });
  live = await system.database();
  fresh = await system.database('_fresh');
}, 120_000);

afterAll(async () => {
  killRebuildProcesses();
  await system.stop();
}, 60_000);

describe('rebuild of the Postgres read model into a shadow schema', () => {
  it('swaps in a rebuilt generation while commands flow and queries read; a SIGKILL half way resumes; the result equals a fresh projection', async () => {
    const { client } = system;
    const progress: Progress = { sent: 0, gate: Promise.resolve() };
    await Promise.all([campaignScript(client, 'camp0', progress), campaignScript(client, 'camp1', progress)]);

    // Load during the rebuild: two more campaigns written, and owners reading theirs, until told to stop.
    const reader = readThroughout(
      query.port,
      secret,
      'gm-1',
      '{ kingdoms(campaignId: "camp0") { nodes { id name } } settlements(campaignId: "camp1") { nodes { id level } } campaigns { id } }',
      (data) => (data.kingdoms as { nodes: unknown[] }).nodes.length > 0,
    );
    const writing = Promise.all([campaignScript(client, 'camp2', progress), campaignScript(client, 'camp3', progress)]);

    // Small batches, so that half way is a point between many commits.
    const interrupted = await rebuild(['--batch-size', '25'], (p: RebuildProgress, child) => {
      if (p.phase === 'project' && p.checkpoint >= p.target / 2) child.kill('SIGKILL');
    });
    expect(interrupted.signal).toBe('SIGKILL');
    const killedAt = Math.max(...interrupted.lines.flatMap((l) => (l.phase === 'project' ? [l.checkpoint] : [])));
    expect(killedAt).toBeGreaterThan(0);
    expect(interrupted.lines.some((l) => l.phase === 'swapped')).toBe(false);

    const completed = await rebuild(['--batch-size', '25']);
    expect(completed.code).toBe(0);
    const start = completed.lines.find((l) => l.phase === 'start')!;
    expect(start).toMatchObject({ shadow: shadowSchema(schema), live: schema });
    expect(start.phase === 'start' && start.resumedAt).toBeGreaterThanOrEqual(killedAt);
    const swapped = completed.lines.at(-1)!;
    expect(swapped.phase).toBe('swapped');
    if (swapped.phase !== 'swapped') return;
    expect(swapped.old.startsWith(oldSchemaPrefix(schema))).toBe(true);
    expect(swapped.checkpoint).toBeGreaterThanOrEqual(swapped.liveCheckpoint);
    expect(swapped.rows.kingdom).toBeGreaterThan(0);

    await writing;
    const { reads, failures } = await reader.stop();
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(10);

    // The live projector carried on in the new generation; it must end equal to a fresh projection.
    await waitForSagas(system.nats, system.names);
    const target = await lastSeq(system.nats, system.names);
    await until(`checkpoint ${target}`, async () => (await live.readModel.checkpoint('postgres')) === target);
    const actual = await system.expectFreshProjection(live, fresh, target);
    expect(actual.branch!.length).toBe(4 * 3);

    // The old generation stays until dropped; the shadow is gone (it is the live schema now).
    const schemasNow = async () =>
      (
        await live.sql.all<{ nspname: string }>(
          'SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?) ORDER BY 1',
          [schema],
        )
      ).map((r) => r.nspname);
    expect(await schemasNow()).toEqual([schema, `${schema}_fresh`, swapped.old].sort());
    const dropped = await rebuild(['--drop-old']);
    expect(dropped.code).toBe(0);
    expect(dropped.lines).toEqual([{ phase: 'dropped', schemas: [swapped.old] }]);
    expect(await schemasNow()).toEqual([schema, `${schema}_fresh`]);
  }, 600_000);
});
