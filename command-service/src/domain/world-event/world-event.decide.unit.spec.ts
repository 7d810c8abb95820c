import { ErrorCode, type CommandPayload, type WorldEventEffect } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { command, given, type GivenEvent } from '../given.test-util.js';
import { worldEventDecider, type WorldEventCommand } from './world-event.decide.js';
import type { WorldEventEvent, WorldEventStatus } from './world-event.state.js';

const worldEvent = <T extends WorldEventCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 'we1' });
const effects: WorldEventEffect[] = [
  { ownerType: 'settlement', ownerId: 's1', key: 'flooded', value: { type: 'boolean', value: true } },
  { ownerType: 'kingdom', ownerId: 'k1', key: 'treasury', value: { type: 'number', value: -500 } },
];
const scheduled = {
  type: 'WorldEventScheduled',
  data: {
    name: 'Spring flood',
    description: 'The river breaks its banks',
    scheduledAt: '2024-06-01T00:00:00.000Z',
    expiresAt: '2024-06-08T00:00:00.000Z',
    effects,
  },
} as const;
const activated = { type: 'WorldEventActivated', data: {} } as const;
const expired = { type: 'WorldEventExpired', data: {} } as const;
const resolved = { type: 'WorldEventResolved', data: { outcome: 'The levee held', effects } } as const;

/** Every status a world event can be in once scheduled, with a history that leads there. */
const historyOf = {
  scheduled: [scheduled],
  active: [scheduled, activated],
  expired: [scheduled, activated, expired],
  resolved: [scheduled, activated, resolved],
} satisfies Record<Exclude<WorldEventStatus, 'absent'>, GivenEvent<WorldEventEvent>[]>;
const histories = Object.entries(historyOf);

describe('world-event.schedule', () => {
  const schedule = (payload: Partial<CommandPayload<'world-event.schedule'>>) =>
    worldEvent('world-event.schedule', {
      name: 'Spring flood',
      scheduledAt: '2024-06-01T00:00:00.000Z',
      effects: [],
      ...payload,
    });

  it('schedules the event, recording what is missing as null', () => {
    given(worldEventDecider)
      .when(schedule({}))
      .then([
        {
          type: 'WorldEventScheduled',
          data: {
            name: 'Spring flood',
            description: null,
            scheduledAt: '2024-06-01T00:00:00.000Z',
            expiresAt: null,
            effects: [],
          },
        },
      ]);
  });
  it('schedules the event with a description, an expiry and effects', () => {
    given(worldEventDecider)
      .when(schedule({ description: 'The river breaks its banks', expiresAt: '2024-06-08T00:00:00.000Z', effects }))
      .then([scheduled]);
  });
  it('checks no other aggregate, not even the owners its effects name', () => {
    expect(worldEventDecider.refsOf(schedule({ effects }))).toEqual([]);
  });
  it('rejects an expiry at the scheduled time', () => {
    given(worldEventDecider)
      .when(schedule({ expiresAt: '2024-06-01T00:00:00.000Z' }))
      .thenThrows(ErrorCode.VALIDATION, 'expiresAt must be after scheduledAt');
  });
  it('rejects an expiry before the scheduled time', () => {
    given(worldEventDecider)
      .when(schedule({ expiresAt: '2024-05-31T23:59:59.999Z' }))
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('compares instants, not strings: a later expiry written in another offset', () => {
    given(worldEventDecider)
      .when(schedule({ scheduledAt: '2024-06-01T12:00:00+02:00', expiresAt: '2024-06-01T11:00:00Z' }))
      .then([
        {
          type: 'WorldEventScheduled',
          data: {
            name: 'Spring flood',
            description: null,
            scheduledAt: '2024-06-01T12:00:00+02:00',
            expiresAt: '2024-06-01T11:00:00Z',
            effects: [],
          },
        },
      ]);
  });
  it('compares instants, not strings: an earlier expiry written in another offset', () => {
    given(worldEventDecider)
      .when(schedule({ scheduledAt: '2024-06-01T10:00:00Z', expiresAt: '2024-06-01T11:00:00+02:00' }))
      .thenThrows(ErrorCode.VALIDATION);
  });
  it.each(histories)('rejects an event that is already %s', (_status, events) => {
    given(worldEventDecider, events)
      .when(schedule({}))
      .thenThrows(ErrorCode.ALREADY_EXISTS, 'world-event we1 already exists');
  });
});

describe('world-event.activate', () => {
  const activate = worldEvent('world-event.activate', {});

  it('activates a scheduled event', () => {
    given(worldEventDecider, [scheduled]).when(activate).then([activated]);
  });
  it.each(['active', 'expired', 'resolved'] as const)('rejects an event that is %s', (status) => {
    given(worldEventDecider, historyOf[status])
      .when(activate)
      .thenThrows(ErrorCode.INVALID_STATE, `world event we1 is ${status} and cannot be activated`);
  });
  it('rejects an event that expired before it was activated', () => {
    given(worldEventDecider, [scheduled, expired]).when(activate).thenThrows(ErrorCode.INVALID_STATE);
  });
  it('rejects an absent event', () => {
    given(worldEventDecider).when(activate).thenThrows(ErrorCode.NOT_FOUND, 'world-event we1 not found');
  });
});

describe('world-event.expire', () => {
  const expire = worldEvent('world-event.expire', {});

  it('expires an active event', () => {
    given(worldEventDecider, [scheduled, activated]).when(expire).then([expired]);
  });
  it('expires a scheduled event that never became active', () => {
    given(worldEventDecider, [scheduled]).when(expire).then([expired]);
  });
  it.each(['expired', 'resolved'] as const)(
    'rejects an event that is %s, so a repeated expiry job changes nothing',
    (status) => {
      given(worldEventDecider, historyOf[status])
        .when(expire)
        .thenThrows(ErrorCode.INVALID_STATE, `world event we1 is ${status} and cannot be expired`);
    },
  );
  it('rejects an absent event', () => {
    given(worldEventDecider).when(expire).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('world-event.resolve', () => {
  it('resolves an active event with its outcome, carrying its effects', () => {
    given(worldEventDecider, [scheduled, activated])
      .when(worldEvent('world-event.resolve', { outcome: 'The levee held' }))
      .then([resolved]);
  });
  it('resolves a scheduled event', () => {
    given(worldEventDecider, [scheduled])
      .when(worldEvent('world-event.resolve', { outcome: 'The levee held' }))
      .then([resolved]);
  });
  it('records a missing outcome as null', () => {
    given(worldEventDecider, [scheduled, activated])
      .when(worldEvent('world-event.resolve', {}))
      .then([{ type: 'WorldEventResolved', data: { outcome: null, effects } }]);
  });
  it('carries no effects when none were scheduled', () => {
    given(worldEventDecider, [{ type: 'WorldEventScheduled', data: { ...scheduled.data, effects: [] } }])
      .when(worldEvent('world-event.resolve', {}))
      .then([{ type: 'WorldEventResolved', data: { outcome: null, effects: [] } }]);
  });
  it.each(['expired', 'resolved'] as const)(
    'rejects an event that is %s, so its effects apply at most once',
    (status) => {
      given(worldEventDecider, historyOf[status])
        .when(worldEvent('world-event.resolve', { outcome: 'Again' }))
        .thenThrows(ErrorCode.INVALID_STATE, `world event we1 is ${status} and cannot be resolved`);
    },
  );
  it('rejects an absent event', () => {
    given(worldEventDecider).when(worldEvent('world-event.resolve', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('world-event refs', () => {
  it('checks no other aggregate after scheduling', () => {
    for (const cmd of [
      worldEvent('world-event.activate', {}),
      worldEvent('world-event.expire', {}),
      worldEvent('world-event.resolve', { outcome: 'The levee held' }),
    ]) {
      expect(worldEventDecider.refsOf(cmd), cmd.type).toEqual([]);
    }
  });
});

describe('world-event state', () => {
  it('folds its life from scheduled to resolved', () => {
    const { state } = given(worldEventDecider, [scheduled, activated, resolved]);
    expect(state).toEqual({ status: 'resolved', ...scheduled.data, outcome: 'The levee held' });
  });
  it.each(histories)('is %s after its history', (status, events) => {
    expect(given(worldEventDecider, events).state.status).toBe(status);
  });
  it('counts as absent only before it is scheduled: an ended event can still be referred to', () => {
    const { statusOf } = worldEventDecider;
    expect(statusOf(given(worldEventDecider).state)).toBe('absent');
    for (const [, events] of histories) expect(statusOf(given(worldEventDecider, events).state)).toBe('active');
  });
});
