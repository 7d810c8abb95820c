import type { CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustExist, unknownCommand } from '../guards.js';
import { jsonEqual } from '../json-equal.js';
import { evolve, initialState, type LocationEvent, type LocationState } from './location.state.js';

export type LocationCommand = CommandOf<'location'>;

export function decide(command: LocationCommand, state: LocationState): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'location.create') {
    mustBeAbsent(state.status, 'location', id);
    const { name, geometry } = command.payload;
    return [{ type: 'LocationCreated', data: { name, geometry } }];
  }
  mustExist(state.status, 'location', id);

  switch (command.type) {
    case 'location.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'LocationRenamed', data: { name: command.payload.name } }];
    case 'location.reshape':
      if (jsonEqual(command.payload.geometry, state.geometry)) return [];
      return [{ type: 'LocationReshaped', data: { geometry: command.payload.geometry } }];
    case 'location.delete':
      return [{ type: 'LocationDeleted', data: {} }];
    default:
      return unknownCommand(command);
  }
}

export function refsOf(_command: LocationCommand): AggregateRef[] {
  return [];
}

export function statusOf(state: LocationState): AggregateStatus {
  return state.status;
}

export const locationDecider: Decider<LocationCommand, LocationEvent, LocationState> = {
  entityType: 'location',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'location.create': { creates: true },
    'location.rename': {},
    'location.reshape': {},
    'location.delete': {},
  },
};
