import { AppError, ErrorCode, variableAggregateId, type CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, DecideContext, Decider, EventDraft } from '../decider.js';
import { mustBeActiveRef, unknownCommand } from '../guards.js';
import { jsonEqual } from '../json-equal.js';
import {
  evolve,
  initialState,
  variableValue,
  type StateVariableEvent,
  type StateVariableState,
} from './state-variable.state.js';

export type StateVariableCommand = CommandOf<'state-variable'>;

export function decide(command: StateVariableCommand, state: StateVariableState, ctx: DecideContext): EventDraft[] {
  const { ownerType, ownerId, key } = command.payload;
  const expectedId = variableAggregateId(ownerType, ownerId);
  // The owner is named twice, in the id (which picks the stream) and in the payload (which the events carry).
  if (command.aggregateId !== expectedId) {
    throw new AppError(
      ErrorCode.VALIDATION,
      `state variables of ${ownerType} ${ownerId} live in aggregate ${expectedId}`,
      {
        aggregateId: command.aggregateId,
        expected: expectedId,
      },
    );
  }
  const current = variableValue(state, key);

  switch (command.type) {
    case 'state-variable.set': {
      for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
      const { value } = command.payload;
      if (current !== undefined && current.type === value.type && jsonEqual(current.value, value.value)) return [];
      return [{ type: 'StateVariableSet', data: { ownerType, ownerId, key, value } }];
    }
    case 'state-variable.unset':
      if (current === undefined) {
        throw new AppError(ErrorCode.NOT_FOUND, `state variable ${key} of ${ownerType} ${ownerId} is not set`, {
          ownerType,
          ownerId,
          key,
        });
      }
      return [{ type: 'StateVariableUnset', data: { ownerType, ownerId, key } }];
    default:
      return unknownCommand(command);
  }
}

/** Only `set` checks the owner: unsetting what a since-deleted owner left behind is allowed. */
export function refsOf(command: StateVariableCommand): AggregateRef[] {
  return command.type === 'state-variable.set'
    ? [{ entityType: command.payload.ownerType, entityId: command.payload.ownerId }]
    : [];
}

export function statusOf(state: StateVariableState): AggregateStatus {
  return Object.keys(state.values).length > 0 ? 'active' : 'absent';
}

export const stateVariableDecider: Decider<StateVariableCommand, StateVariableEvent, StateVariableState> = {
  entityType: 'state-variable',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'state-variable.set': {},
    'state-variable.unset': {},
  },
};
