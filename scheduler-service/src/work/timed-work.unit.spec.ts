import { describe, expect, it } from 'vitest';
import { AppError, type AnyJob } from '@cm/contracts';
import { resolveSettings, SETTINGS } from './settings.js';
import { commandId, grow, growthSteps, maintenanceSteps, worldEventSteps } from './timed-work.js';

const defaults = resolveSettings(new Map());
const NOW = '2026-01-01T12:00:05.000Z';
const W1 = '2026-01-01T11:00:00.000Z';
const W2 = '2026-01-01T12:00:00.000Z';

function batchJob<K extends 'settlement-growth' | 'structure-maintenance'>(kind: K, windows: string[]) {
  return {
    jobId: `${kind}:c1:main:x:0`,
    kind,
    campaignId: 'c1',
    branchId: 'main',
    correlationId: 'corr-1',
    enqueuedAt: NOW,
    payload: { afterId: null, toId: null, windows },
  } as AnyJob & { kind: K };
}
const num = (value: number) => ({ type: 'number', value });

describe('settings', () => {
  it('default when absent and reject a variable of the wrong type with VALIDATION', () => {
    expect(defaults.settlementGrowthRate).toBe(SETTINGS.settlementGrowthRate.default);
    expect(resolveSettings(new Map([['structureDecayRate', num(3)]])).structureDecayRate).toBe(3);
    expect(() => resolveSettings(new Map([['settlementGrowthRate', { type: 'string', value: 'fast' }]]))).toThrow(
      AppError,
    );
  });
});

describe('settlement growth', () => {
  it('grows by the rate up to the level cap, and never cuts a population above it', () => {
    expect(grow(100, 0.02, 1, 1000)).toBe(102);
    expect(grow(990, 0.02, 1, 1000)).toBe(1000);
    expect(grow(1500, 0.02, 1, 1000)).toBe(1500);
    expect(grow(100, 0.02, 3, 1000)).toBe(102);
  });

  it('applies each window in order with one command id per settlement and window', () => {
    const steps = growthSteps(
      batchJob('settlement-growth', [W1, W2]),
      [{ id: 's1', level: 1, population: num(100), growthRate: null }],
      defaults,
      NOW,
    );
    expect(steps).toHaveLength(1);
    expect(steps[0]!.commands.map((c) => (c.payload as { value: { value: number } }).value.value)).toEqual([102, 104]);
    expect(steps[0]!.commands.map((c) => c.commandId)).toEqual([
      'sched:settlement-growth:c1:main:s1:20260101T110000Z',
      'sched:settlement-growth:c1:main:s1:20260101T120000Z',
    ]);
    expect(steps[0]!.commands[0]).toMatchObject({
      type: 'state-variable.set',
      aggregateId: 'settlement~s1',
      correlationId: 'corr-1',
      causationId: 'settlement-growth:c1:main:x:0',
      actor: { userId: 'system:scheduler' },
    });
  });

  it('uses a settlement growthRate over the campaign setting, and skips settlements without a population', () => {
    const steps = growthSteps(
      batchJob('settlement-growth', [W1]),
      [
        { id: 's1', level: 1, population: num(100), growthRate: num(0.5) },
        { id: 's2', level: 1, population: null, growthRate: null },
      ],
      defaults,
      NOW,
    );
    expect(steps.map((s) => s.entityId)).toEqual(['s1']);
    expect((steps[0]!.commands[0]!.payload as { value: { value: number } }).value.value).toBe(150);
  });
});

describe('structure maintenance', () => {
  it('decays the condition and flags the structure once when it falls below the threshold', () => {
    const settings = { ...defaults, structureDecayRate: 10, structureRepairThreshold: 25 };
    const steps = maintenanceSteps(
      batchJob('structure-maintenance', [W1, W2]),
      [{ id: 't1', condition: 40, decayRate: null, needsRepair: null }],
      settings,
      NOW,
    );
    expect(steps[0]!.commands.map((c) => c.type)).toEqual([
      'structure.set-condition',
      'structure.set-condition',
      'state-variable.set',
    ]);
    expect(steps[0]!.commands.map((c) => c.payload)).toEqual([
      { condition: 30 },
      { condition: 20 },
      { ownerType: 'structure', ownerId: 't1', key: 'needsRepair', value: { type: 'boolean', value: true } },
    ]);
  });

  it('does not flag a structure already flagged, and leaves a ruin alone', () => {
    const steps = maintenanceSteps(
      batchJob('structure-maintenance', [W1]),
      [
        { id: 't1', condition: 10, decayRate: null, needsRepair: { type: 'boolean', value: true } },
        { id: 't2', condition: 0, decayRate: null, needsRepair: { type: 'boolean', value: true } },
      ],
      defaults,
      NOW,
    );
    expect(steps.map((s) => [s.entityId, s.commands.map((c) => c.type)])).toEqual([
      ['t1', ['structure.set-condition']],
    ]);
  });
});

describe('world events', () => {
  const job = {
    jobId: 'world-event-activate:c1:main:e1',
    kind: 'world-event-activate',
    campaignId: 'c1',
    branchId: 'main',
    correlationId: 'corr',
    enqueuedAt: NOW,
    payload: { worldEventId: 'e1', dueAt: W2 },
  } as AnyJob & { kind: 'world-event-activate' };
  const effect = { ownerType: 'settlement', ownerId: 's1', key: 'morale', value: { type: 'number', value: 7 } };
  const row = {
    campaignId: 'c1',
    branchId: 'main',
    id: 'e1',
    status: 'scheduled',
    scheduledAt: W2,
    expiresAt: '2026-01-01T13:00:00.000Z',
    effects: [effect],
  };

  it('sets the effects before activating, and does nothing before the due time', () => {
    expect(worldEventSteps(job, row, new Date(NOW)).map((c) => c.type)).toEqual([
      'state-variable.set',
      'world-event.activate',
    ]);
    expect(worldEventSteps(job, row, new Date('2026-01-01T11:59:59.000Z'))).toEqual([]);
  });

  it('activates then expires an event whose expiry has also passed', () => {
    expect(worldEventSteps(job, row, new Date('2026-01-01T13:00:01.000Z')).map((c) => c.type)).toEqual([
      'state-variable.set',
      'world-event.activate',
      'world-event.expire',
    ]);
  });

  it('only expires an active event, and leaves an expired one alone', () => {
    expect(
      worldEventSteps(job, { ...row, status: 'active' }, new Date('2026-01-01T13:00:01.000Z')).map((c) => c.type),
    ).toEqual(['world-event.expire']);
    expect(worldEventSteps(job, { ...row, status: 'expired' }, new Date('2026-01-01T13:00:01.000Z'))).toEqual([]);
  });
});

describe('commandId', () => {
  it('stays within the 200 characters a command id may have', () => {
    const long = 'x'.repeat(64);
    expect(commandId('settlement-growth', long, long, long, '20260101T120000Z').length).toBeLessThanOrEqual(200);
    expect(commandId('settlement-growth', long, long, long, 'a')).toBe(
      commandId('settlement-growth', long, long, long, 'a'),
    );
  });
});
