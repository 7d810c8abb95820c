import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '@cm/contracts';
import { applyWorldEvent, dueAt } from './due-timer.js';

const event = (type: string, data: unknown = {}) =>
  ({
    id: 'x:0',
    type,
    schemaVersion: 1,
    campaignId: 'c1',
    branchId: 'main',
    entityType: 'world-event',
    entityId: 'e1',
    aggregateVersion: 1,
    data,
    metadata: {},
  }) as unknown as AnyEvent;

describe('the pending world events', () => {
  it('wait for the activation, then the expiry, and are gone when expired', () => {
    const pending = new Map();
    applyWorldEvent(
      pending,
      event('WorldEventScheduled', {
        name: 'n',
        description: null,
        scheduledAt: '2026-01-01T12:00:00.000Z',
        expiresAt: '2026-01-01T13:00:00.000Z',
        effects: [],
      }),
    );
    expect(dueAt(pending.get('c1/main/e1'))).toBe(Date.parse('2026-01-01T12:00:00.000Z'));
    applyWorldEvent(pending, event('WorldEventActivated'));
    expect(dueAt(pending.get('c1/main/e1'))).toBe(Date.parse('2026-01-01T13:00:00.000Z'));
    applyWorldEvent(pending, event('WorldEventExpired'));
    expect(pending.size).toBe(0);
  });

  it('have nothing due once active without an expiry, and ignore other events', () => {
    const pending = new Map();
    applyWorldEvent(
      pending,
      event('WorldEventScheduled', {
        name: 'n',
        description: null,
        scheduledAt: '2026-01-01T12:00:00.000Z',
        expiresAt: null,
        effects: [],
      }),
    );
    applyWorldEvent(pending, event('WorldEventActivated'));
    expect(dueAt(pending.get('c1/main/e1'))).toBeNull();
    applyWorldEvent(pending, event('WorldEventResolved', { outcome: null, effects: [] }));
    expect(pending.size).toBe(0);
  });
});
