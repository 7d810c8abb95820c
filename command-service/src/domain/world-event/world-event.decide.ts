import { AppError, ErrorCode, type CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustExist, unknownCommand } from '../guards.js';
import {
  evolve,
  initialState,
  type WorldEventEvent,
  type WorldEventState,
  type WorldEventStatus,
} from './world-event.state.js';

export type WorldEventCommand = CommandOf<'world-event'>;

export function decide(command: WorldEventCommand, state: WorldEventState): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'world-event.schedule') {
    mustBeAbsent(statusOf(state), 'world-event', id);
    const { name, description, scheduledAt, expiresAt, effects } = command.payload;
    if (expiresAt !== undefined && !(Date.parse(expiresAt) > Date.parse(scheduledAt))) {
      throw new AppError(ErrorCode.VALIDATION, 'expiresAt must be after scheduledAt', { scheduledAt, expiresAt });
    }
    return [
      {
        type: 'WorldEventScheduled',
        data: { name, description: description ?? null, scheduledAt, expiresAt: expiresAt ?? null, effects },
      },
    ];
  }
  mustExist(statusOf(state), 'world-event', id);

  switch (command.type) {
    case 'world-event.activate':
      mustBeIn(state, ['scheduled'], 'activated', id);
      return [{ type: 'WorldEventActivated', data: {} }];
    case 'world-event.expire':
      mustBeIn(state, ['scheduled', 'active'], 'expired', id);
      return [{ type: 'WorldEventExpired', data: {} }];
    case 'world-event.resolve':
      mustBeIn(state, ['scheduled', 'active'], 'resolved', id);
      // The effects are copied in so that whoever applies them reads one event, not the whole history.
      return [
        { type: 'WorldEventResolved', data: { outcome: command.payload.outcome ?? null, effects: state.effects } },
      ];
    default:
      return unknownCommand(command);
  }
}

function mustBeIn(state: WorldEventState, allowed: readonly WorldEventStatus[], verb: string, id: string): void {
  if (!allowed.includes(state.status)) {
    throw new AppError(ErrorCode.INVALID_STATE, `world event ${id} is ${state.status} and cannot be ${verb}`, {
      status: state.status,
      allowed,
    });
  }
}

export function refsOf(_command: WorldEventCommand): AggregateRef[] {
  return [];
}

/** Every status past scheduling counts as existing: an expired event still owns variables and can be referred to. */
export function statusOf(state: WorldEventState): AggregateStatus {
  return state.status === 'absent' ? 'absent' : 'active';
}

export const worldEventDecider: Decider<WorldEventCommand, WorldEventEvent, WorldEventState> = {
  entityType: 'world-event',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'world-event.schedule': { creates: true },
    'world-event.activate': {},
    'world-event.expire': {},
    'world-event.resolve': {},
  },
};
