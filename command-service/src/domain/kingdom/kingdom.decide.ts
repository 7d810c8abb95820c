import type { CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustExist, unknownCommand } from '../guards.js';
import { evolve, initialState, type KingdomEvent, type KingdomState } from './kingdom.state.js';

export type KingdomCommand = CommandOf<'kingdom'>;

export function decide(command: KingdomCommand, state: KingdomState): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'kingdom.create') {
    mustBeAbsent(state.status, 'kingdom', id);
    return [{ type: 'KingdomCreated', data: { name: command.payload.name } }];
  }
  mustExist(state.status, 'kingdom', id);

  switch (command.type) {
    case 'kingdom.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'KingdomRenamed', data: { name: command.payload.name } }];
    case 'kingdom.delete':
      return [{ type: 'KingdomDeleted', data: {} }];
    default:
      return unknownCommand(command);
  }
}

export function refsOf(_command: KingdomCommand): AggregateRef[] {
  return [];
}

export function statusOf(state: KingdomState): AggregateStatus {
  return state.status;
}

export const kingdomDecider: Decider<KingdomCommand, KingdomEvent, KingdomState> = {
  entityType: 'kingdom',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'kingdom.create': { creates: true },
    'kingdom.rename': {},
    'kingdom.delete': {},
  },
};
