import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEVER, SchedulerHarness, waitFor, windowMs } from './scheduler.test-util.js';

// Growth every 2 s, a catch-up horizon of 5 s, and the only scheduler down for about 10 s: on restart the missed
// windows inside the horizon run once each, in order, and the older ones are reported (log and metric), not run.
const h = new SchedulerHarness({
  CRON_SETTLEMENT_GROWTH: '*/2 * * * * *',
  CRON_STRUCTURE_MAINTENANCE: NEVER,
  CRON_EVENT_EXPIRATION: NEVER,
  SCHEDULER_CATCHUP_HORIZON: '5s',
});
const campaignId = `cup${Date.now()}`;
const SETTLEMENTS = 3;

beforeAll(async () => {
  await h.start(0);
  await h.projected(await h.seedSettlements(campaignId, SETTLEMENTS, 100));
  await h.addReplica();
});

afterAll(async () => {
  await h.stop();
});

const token = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

describe('a scheduler down across several windows', () => {
  it(
    'runs each missed window inside the horizon once on restart and reports the older ones',
    { timeout: 180_000 },
    async () => {
      const replica = h.replicas[0]!;
      await waitFor(
        async () => new Set((await h.growthEvents(campaignId)).map((g) => g.window)).size >= 2,
        60_000,
        'two growth windows',
      );
      await replica.kill('scheduler-service', 'SIGTERM');
      const downAt = Date.now();
      await sleep(10_000);
      const upAt = Date.now();
      await replica.restart('scheduler-service');
      // A window planned after the restart shows the scheduler is back; then stop it so the counts are final.
      await waitFor(
        async () => (await h.growthEvents(campaignId)).some((g) => windowMs(g.window) > upAt + 2000),
        60_000,
        'a window after the restart',
      );
      const metrics = await (await fetch(`${replica.urls['scheduler-service']}/metrics`)).text();
      await replica.stop();

      const growth = await h.growthEvents(campaignId);
      const perKey = new Map<string, number>();
      for (const g of growth)
        perKey.set(`${g.settlement}@${g.window}`, (perKey.get(`${g.settlement}@${g.window}`) ?? 0) + 1);
      expect([...perKey.values()].every((n) => n === 1)).toBe(true);
      const ran = [...new Set(growth.map((g) => g.window))].sort();
      for (const w of ran) expect(growth.filter((g) => g.window === w)).toHaveLength(SETTLEMENTS);

      // The report of the restart: a range of windows beyond the horizon, none of which ran.
      const lines = h.logLines(replica);
      const reportAt = lines.findIndex(
        (l) => l.msg === 'missed windows beyond the catch-up horizon; reported, not run',
      );
      const report = lines[reportAt];
      expect(report).toBeDefined();
      expect(report!.count).toBeGreaterThanOrEqual(1);
      const reported: string[] = [];
      for (let t = Date.parse(report!.first); t <= Date.parse(report!.last); t += 2000) reported.push(token(t));
      expect(reported).toHaveLength(report!.count);
      expect(reported.filter((w) => ran.includes(w))).toEqual([]);
      expect(Date.parse(report!.first)).toBeGreaterThan(downAt - 2000);

      // Run and reported together: every window from the first to the last, none missing, none twice.
      const all = [...ran, ...reported].sort();
      for (let i = 1; i < all.length; i++) expect(windowMs(all[i]!) - windowMs(all[i - 1]!)).toBe(2000);
      // The restart's first planning starts right after the reported range: the missed windows since then ran in one
      // ordered claim, the oldest first.
      const firstPlan = lines.slice(reportAt).find((l) => l.msg === 'cron windows planned');
      expect(firstPlan?.windows[0]).toBe(new Date(Date.parse(report!.last) + 2000).toISOString());
      expect(metrics).toMatch(
        new RegExp(
          `cm_scheduler_windows_beyond_horizon_total\\{[^}]*cron="settlement-growth"[^}]*\\} ${report!.count}\\b`,
        ),
      );
    },
  );
});
