import type { CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, DecideContext, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustBeActiveRef, mustExist, unknownCommand } from '../guards.js';
import { evolve, initialState, type SettlementEvent, type SettlementState } from './settlement.state.js';

export type SettlementCommand = CommandOf<'settlement'>;

export function decide(command: SettlementCommand, state: SettlementState, ctx: DecideContext): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'settlement.create') {
    mustBeAbsent(state.status, 'settlement', id);
    for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
    const { kingdomId, locationId, name, level } = command.payload;
    return [{ type: 'SettlementCreated', data: { kingdomId, locationId, name, level } }];
  }
  mustExist(state.status, 'settlement', id);

  switch (command.type) {
    case 'settlement.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'SettlementRenamed', data: { name: command.payload.name } }];
    case 'settlement.set-level':
      if (command.payload.level === state.level) return [];
      return [{ type: 'SettlementLevelSet', data: { level: command.payload.level } }];
    case 'settlement.move':
      for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
      if (command.payload.locationId === state.locationId) return [];
      return [{ type: 'SettlementMoved', data: { locationId: command.payload.locationId } }];
    case 'settlement.delete':
      // The kingdom id rides along so the structure cascade and projections need not look the settlement up.
      return [{ type: 'SettlementDeleted', data: { kingdomId: state.kingdomId } }];
    default:
      return unknownCommand(command);
  }
}

export function refsOf(command: SettlementCommand): AggregateRef[] {
  switch (command.type) {
    case 'settlement.create':
      return [
        { entityType: 'kingdom', entityId: command.payload.kingdomId },
        { entityType: 'location', entityId: command.payload.locationId },
      ];
    case 'settlement.move':
      return [{ entityType: 'location', entityId: command.payload.locationId }];
    default:
      return [];
  }
}

export function statusOf(state: SettlementState): AggregateStatus {
  return state.status;
}

export const settlementDecider: Decider<SettlementCommand, SettlementEvent, SettlementState> = {
  entityType: 'settlement',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'settlement.create': { creates: true },
    'settlement.rename': {},
    'settlement.set-level': {},
    'settlement.move': {},
    'settlement.delete': {},
  },
};
