import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grownTimes, NEVER, SchedulerHarness, waitFor, windowMs } from './scheduler.test-util.js';

// Three scheduler processes side by side, settlement growth every 2 seconds: every window's growth must happen
// exactly once for every settlement, whichever replica planned the tick and whichever ran the jobs.
const h = new SchedulerHarness({
  CRON_SETTLEMENT_GROWTH: '*/2 * * * * *',
  CRON_STRUCTURE_MAINTENANCE: NEVER,
  CRON_EVENT_EXPIRATION: NEVER,
  // Small batches: each window becomes several jobs, spread over the replicas.
  SCHEDULER_BATCH_SIZE: '5',
});
const campaignId = `rep${Date.now()}`;
const SETTLEMENTS = 20;

beforeAll(async () => {
  await h.start(0);
  await h.projected(await h.seedSettlements(campaignId, SETTLEMENTS, 100));
  for (let i = 0; i < 3; i++) await h.addReplica();
});

afterAll(async () => {
  await h.stop();
});

describe('three scheduler replicas', () => {
  it('run each cron window once: one growth per settlement and window, windows contiguous', async () => {
    await waitFor(
      async () => new Set((await h.growthEvents(campaignId)).map((g) => g.window)).size >= 4,
      60_000,
      'four growth windows',
    );
    // Stop all replicas and run what they left queued, so that the counts below are final.
    await h.stopAndDrain();
    const growth = await h.growthEvents(campaignId);

    const perKey = new Map<string, number>();
    for (const g of growth)
      perKey.set(`${g.settlement}@${g.window}`, (perKey.get(`${g.settlement}@${g.window}`) ?? 0) + 1);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);

    const windows = [...new Set(growth.map((g) => g.window))].sort();
    expect(windows.length).toBeGreaterThanOrEqual(4);
    // No window skipped between the first and the last one that ran (a late tick catches up, it does not skip).
    for (let i = 1; i < windows.length; i++) expect(windowMs(windows[i]!) - windowMs(windows[i - 1]!)).toBe(2000);
    // Every settlement grew in every window, in order: its final value is the start grown once per window.
    for (const w of windows) expect(growth.filter((g) => g.window === w).length).toBe(SETTLEMENTS);
    const lastSeq = Math.max(...growth.map((g) => g.seq));
    await h.projected(lastSeq);
    const populations = await h.populations(campaignId);
    for (const [, value] of populations) expect(value).toBe(grownTimes(100, windows.length));

    // More than one replica ran jobs: the work is spread over the replicas, not only planned once.
    const logs = h.replicas.slice(0, 3).map((r) => r.logs('scheduler-service', 5000).join('\n'));
    const ranJobs = logs.filter((log) => log.includes('job succeeded')).length;
    expect(ranJobs).toBeGreaterThanOrEqual(2);
  });
});
