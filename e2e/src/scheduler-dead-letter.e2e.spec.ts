import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEVER, SchedulerHarness, waitFor } from './scheduler.test-util.js';

// A growth job that fails on every attempt (a campaign setting of the wrong type): it is redelivered up to the
// maximum, parked on the dead-letter subject with its error, listed by `cm jobs parked`; once the setting is fixed,
// `cm jobs retry` applies it, once.
const h = new SchedulerHarness({});
const campaignId = `dlq${Date.now()}`;
const SETTLEMENTS = 5;

beforeAll(async () => {
  await h.start(0);
  await h.seedSettlements(campaignId, SETTLEMENTS, 100);
  const seq = await h.send('state-variable.set', campaignId, `campaign~${campaignId}`, {
    ownerType: 'campaign',
    ownerId: campaignId,
    key: 'settlementGrowthRate',
    value: { type: 'string', value: 'fast' },
  });
  await h.projected(seq);
});

afterAll(async () => {
  await h.stop();
});

type Parked = {
  job: { jobId: string; kind: string; campaignId: string };
  attempts: number;
  error: { code: string; message: string };
  completed: string[];
};

describe('a job that always fails', () => {
  it('is parked after its attempts, and `cm jobs retry` applies it once after the fix', async () => {
    // One growth window 3 s from now (cron fields in local time, as croner reads them); the cron state says it ran
    // until now, so that window runs even if the replica comes up after it.
    const at = new Date(Date.now() + 3_000);
    await h.cronRanUntil('settlement-growth', new Date());
    await h.addReplica({
      CRON_SETTLEMENT_GROWTH: `${at.getSeconds()} ${at.getMinutes()} ${at.getHours()} * * *`,
      CRON_STRUCTURE_MAINTENANCE: NEVER,
      CRON_EVENT_EXPIRATION: NEVER,
      SCHEDULER_JOB_MAX_ATTEMPTS: '3',
      SCHEDULER_JOB_BACKOFF_MS: '200',
    });

    let parked: Parked[] = [];
    await waitFor(
      async () => (parked = JSON.parse(await h.cli('jobs', 'parked', '--json')) as Parked[]).length > 0,
      60_000,
      'a parked job',
    );
    expect(parked).toHaveLength(1);
    const [p] = parked;
    expect(p!.job).toMatchObject({ kind: 'settlement-growth', campaignId });
    expect(p!.attempts).toBe(3);
    expect(p!.error.code).toBe('VALIDATION');
    expect(p!.error.message).toMatch(/settlementGrowthRate/);
    expect(await h.growthEvents(campaignId)).toHaveLength(0);
    expect(await h.cli('jobs', 'parked')).toContain(p!.job.jobId);

    // The fix, then the replay.
    await h.projected(
      await h.send('state-variable.set', campaignId, `campaign~${campaignId}`, {
        ownerType: 'campaign',
        ownerId: campaignId,
        key: 'settlementGrowthRate',
        value: { type: 'number', value: 0.5 },
      }),
    );
    expect(await h.cli('jobs', 'retry', p!.job.jobId)).toContain('queued again');
    await waitFor(async () => (await h.growthEvents(campaignId)).length >= SETTLEMENTS, 60_000, 'the replayed growth');
    expect(JSON.parse(await h.cli('jobs', 'parked', '--json'))).toEqual([]);
    // A second retry finds nothing to replay: the job cannot be applied twice this way.
    await expect(h.cli('jobs', 'retry', p!.job.jobId)).rejects.toThrow(/no parked job/);

    const growth = await h.growthEvents(campaignId);
    expect(growth).toHaveLength(SETTLEMENTS);
    expect(new Set(growth.map((g) => g.settlement)).size).toBe(SETTLEMENTS);
    await h.projected(Math.max(...growth.map((g) => g.seq)));
    for (const [, value] of await h.populations(campaignId)) expect(value).toBe(150);
  });
});
