import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '@cm/infra';
import { NEVER, SchedulerHarness, waitFor } from './scheduler.test-util.js';

// One long growth job (one batch, one command in flight), its replica SIGKILLed half-way: the job goes to the other
// replica once its heartbeats stop, and every settlement grows exactly once (the replayed commands carry the same
// ids as the ones the dead replica already sent).
const h = new SchedulerHarness({});
const campaignId = `kil${Date.now()}`;
const SETTLEMENTS = 600;

beforeAll(async () => {
  await h.start(0);
  await h.projected(await h.seedSettlements(campaignId, SETTLEMENTS, 100));
}, 240_000);

afterAll(async () => {
  await h.stop();
});

describe('a scheduler killed in the middle of a job', () => {
  it('has its job redelivered to another replica, with effects applied once', { timeout: 240_000 }, async () => {
    // One growth window 10 s from now, once both replicas are up; the cron state says it ran until now (catch-up
    // covers a late replica).
    const at = new Date(Date.now() + 10_000);
    await h.cronRanUntil('settlement-growth', new Date());
    const env = {
      CRON_SETTLEMENT_GROWTH: `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`,
      CRON_STRUCTURE_MAINTENANCE: NEVER,
      CRON_EVENT_EXPIRATION: NEVER,
      SCHEDULER_BATCH_SIZE: String(SETTLEMENTS),
      SCHEDULER_COMMAND_CONCURRENCY: '1',
      SCHEDULER_JOB_ACK_WAIT_MS: '3000',
    };
    const replicas = await Promise.all([h.addReplica(env), h.addReplica(env)]);
    const before = await h.lastSeq();

    // Once the job is some way in (nothing else writes now: a new commit is a growth command), kill the replica
    // running it, without a chance to ack, nak or finish.
    await waitFor(async () => (await h.lastSeq()) > before, 60_000, 'the first growth commands', 10);
    let runner: System | undefined;
    for (const r of replicas) if ((await h.health(r)).jobs.running.length > 0) runner = r;
    expect(runner, 'a replica still running the growth job').toBeDefined();
    await runner!.kill('scheduler-service', 'SIGKILL');
    const atKill = (await h.growthEvents(campaignId)).length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(SETTLEMENTS);

    const survivor = replicas.find((r) => r !== runner)!;
    await waitFor(
      async () => (await h.growthEvents(campaignId)).length >= SETTLEMENTS,
      120_000,
      'the redelivered job to finish',
    );
    await waitFor(
      async () => (await h.health(survivor)).jobs.succeeded >= 1,
      30_000,
      'the survivor to report the job done',
    );
    await sleep(500);

    const growth = await h.growthEvents(campaignId);
    expect(growth).toHaveLength(SETTLEMENTS);
    expect(new Set(growth.map((g) => g.settlement)).size).toBe(SETTLEMENTS);
    expect(new Set(growth.map((g) => g.window)).size).toBe(1);
    const redelivered = h.logLines(survivor).find((l) => l.msg === 'job succeeded' && l.kind === 'settlement-growth');
    expect(redelivered?.attempt).toBeGreaterThanOrEqual(2);

    await h.projected(Math.max(...growth.map((g) => g.seq)));
    const populations = await h.populations(campaignId);
    expect(populations.size).toBe(SETTLEMENTS);
    for (const [, value] of populations) expect(value).toBe(102);
  });
});
