import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEVER, SchedulerHarness, waitFor } from './scheduler.test-util.js';
import { SseReader } from './sse-client.test-util.js';

// A world event set for a few seconds ahead, with an expiry a few seconds after that. The expiry cron never fires in
// this test, so only the due-time timer (armed by the stream's WorldEventScheduled) can act on time. Structure
// maintenance runs every 2 s on the same system. The realtime gateway runs too: a member following the campaign
// over plain SSE sees the activation, its effect and the expiry as they happen.
const h = new SchedulerHarness(
  {
    CRON_SETTLEMENT_GROWTH: NEVER,
    CRON_STRUCTURE_MAINTENANCE: '*/2 * * * * *',
    CRON_EVENT_EXPIRATION: NEVER,
  },
  { gateway: true },
);
const campaignId = `wev${Date.now()}`;

beforeAll(async () => {
  await h.start(2);
  await h.seedSettlements(campaignId, 1, 100);
  await h.send('state-variable.set', campaignId, `campaign~${campaignId}`, {
    ownerType: 'campaign',
    ownerId: campaignId,
    key: 'structureDecayRate',
    value: { type: 'number', value: 10 },
  });
  await h.projected(
    await h.send('structure.create', campaignId, 'mill', {
      settlementId: 's0000',
      name: 'Mill',
      structureType: 'mill',
      condition: 40,
    }),
  );
});

let stream: SseReader | undefined;

afterAll(async () => {
  stream?.close();
  await h.stop();
});

describe('timed world work', () => {
  it('a scheduled world event is activated with its effects at scheduledAt and expired at expiresAt, by the timer', async () => {
    // The campaign's owner (every command of the harness is theirs) follows the campaign live, one message per event.
    const token = await h.core.token('sched-owner');
    stream = await SseReader.open(`${h.gatewayUrl}/events?campaign=${campaignId}&branch=main&coalesce=0`, {
      authorization: `Bearer ${token}`,
    });
    expect(stream.status).toBe(200);

    const scheduledAt = new Date(Date.now() + 3000);
    scheduledAt.setMilliseconds(0);
    const expiresAt = new Date(scheduledAt.getTime() + 2000);
    await h.send('world-event.schedule', campaignId, 'festival', {
      name: 'Harvest festival',
      scheduledAt: scheduledAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      effects: [{ ownerType: 'settlement', ownerId: 's0000', key: 'morale', value: { type: 'number', value: 7 } }],
    });

    const status = async () => {
      const { rows } = await h.db.query(
        `SELECT status FROM "${h.names.schema}".world_event WHERE campaign_id = $1 AND id = 'festival'`,
        [campaignId],
      );
      return rows[0]?.status as string | undefined;
    };
    await waitFor(async () => (await status()) === 'expired', 60_000, 'the world event to expire');

    const events = await h.events(`${h.nn.prefix}.evt.${campaignId}.main.>`);
    const activated = events.find((e) => e.type === 'WorldEventActivated' && e.entityId === 'festival')!;
    const expired = events.find((e) => e.type === 'WorldEventExpired' && e.entityId === 'festival')!;
    const effect = events.find(
      (e) =>
        e.type === 'StateVariableSet' &&
        e.entityId === 'settlement~s0000' &&
        (e.data as { key: string }).key === 'morale',
    )!;
    expect(activated).toBeDefined();
    expect(expired).toBeDefined();
    expect(effect).toBeDefined();
    // Effects first, then activation, then expiry; each once.
    expect(effect.seq).toBeLessThan(activated.seq);
    expect(activated.seq).toBeLessThan(expired.seq);
    expect(events.filter((e) => e.type === 'WorldEventActivated').length).toBe(1);
    expect(events.filter((e) => e.type === 'WorldEventExpired').length).toBe(1);
    expect(activated.metadata.userId).toBe('system:scheduler');
    expect(activated.metadata.correlationId).toBe('sched:world-event-activate:festival');

    // Never early; late by at most a generous bound (the machine is shared), far below the 5-minute cron.
    const activatedAt = Date.parse(activated.metadata.occurredAt);
    const expiredAt = Date.parse(expired.metadata.occurredAt);
    expect(activatedAt).toBeGreaterThanOrEqual(scheduledAt.getTime());
    expect(activatedAt - scheduledAt.getTime()).toBeLessThan(15_000);
    expect(expiredAt).toBeGreaterThanOrEqual(expiresAt.getTime());
    expect(expiredAt - expiresAt.getTime()).toBeLessThan(15_000);

    // The effect is in the read model.
    await h.projected(expired.seq);
    const { rows } = await h.db.query(
      `SELECT value FROM "${h.names.schema}".state_variable WHERE campaign_id = $1 AND owner_type = 'settlement' AND owner_id = 's0000' AND key = 'morale'`,
      [campaignId],
    );
    expect(Number(rows[0]?.value)).toBe(7);

    // And on the gateway's stream: the effect, the activation and the expiry, each once, in stream order.
    const live = () =>
      stream!
        .updates<{ seq: number; type: string; entityId: string; state: { key?: string; value?: unknown } | null }>()
        .filter((u) => u.entityId === 'festival' || (u.entityId === 'settlement~s0000' && u.state?.key === 'morale'));
    await stream.until((r) => r.updates().some((u) => u.seq === expired.seq), 30_000, 'the expiry on the stream');
    expect(live().map((u) => [u.seq, u.type])).toEqual([
      [events.find((e) => e.entityId === 'festival')!.seq, 'WorldEventScheduled'],
      [effect.seq, 'StateVariableSet'],
      [activated.seq, 'WorldEventActivated'],
      [expired.seq, 'WorldEventExpired'],
    ]);
    expect(live()[1]!.state).toMatchObject({ key: 'morale', value: { type: 'number', value: 7 } });
  });

  it('structure maintenance lowers the condition by the campaign decay and flags the structure below the threshold', async () => {
    const row = async () => {
      const { rows } = await h.db.query(
        `SELECT s.condition, v.value AS flag FROM "${h.names.schema}".structure s
         LEFT JOIN "${h.names.schema}".state_variable v ON v.campaign_id = s.campaign_id AND v.branch_id = s.branch_id
           AND v.owner_type = 'structure' AND v.owner_id = s.id AND v.key = 'needsRepair' AND NOT v.deleted
         WHERE s.campaign_id = $1 AND s.id = 'mill'`,
        [campaignId],
      );
      return rows[0] as { condition: number; flag: unknown };
    };
    await waitFor(async () => (await row()).condition <= 10, 60_000, 'the mill to decay below the threshold');
    expect((await row()).flag).toBe(true);
    const events = await h.events(`${h.nn.prefix}.evt.${campaignId}.main.>`);
    const conditions = events
      .filter((e) => e.type === 'StructureConditionSet')
      .map((e) => (e.data as { condition: number }).condition);
    // 40 → 30 → 20 → 10 …: one step per window, never a step twice.
    expect(conditions.slice(0, 3)).toEqual([30, 20, 10]);
    const flags = events.filter(
      (e) => e.type === 'StateVariableSet' && (e.data as { key: string }).key === 'needsRepair',
    );
    expect(flags).toHaveLength(1);
    expect(flags[0]!.seq).toBeGreaterThan(
      events.find((e) => e.type === 'StructureConditionSet' && (e.data as { condition: number }).condition === 20)!.seq,
    );
  });
});
