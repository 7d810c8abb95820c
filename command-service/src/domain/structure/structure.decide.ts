import type { CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, DecideContext, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustBeActiveRef, mustExist, unknownCommand } from '../guards.js';
import { evolve, initialState, type StructureEvent, type StructureState } from './structure.state.js';

export type StructureCommand = CommandOf<'structure'>;

export function decide(command: StructureCommand, state: StructureState, ctx: DecideContext): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'structure.create') {
    mustBeAbsent(state.status, 'structure', id);
    for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
    const { settlementId, name, structureType, level, condition } = command.payload;
    return [{ type: 'StructureCreated', data: { settlementId, name, structureType, level, condition } }];
  }
  mustExist(state.status, 'structure', id);

  switch (command.type) {
    case 'structure.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'StructureRenamed', data: { name: command.payload.name } }];
    case 'structure.set-type':
      if (command.payload.structureType === state.structureType) return [];
      return [{ type: 'StructureTypeSet', data: { structureType: command.payload.structureType } }];
    case 'structure.set-level':
      if (command.payload.level === state.level) return [];
      return [{ type: 'StructureLevelSet', data: { level: command.payload.level } }];
    case 'structure.set-condition':
      if (command.payload.condition === state.condition) return [];
      return [{ type: 'StructureConditionSet', data: { condition: command.payload.condition } }];
    case 'structure.delete':
      return [{ type: 'StructureDeleted', data: { settlementId: state.settlementId } }];
    default:
      return unknownCommand(command);
  }
}

export function refsOf(command: StructureCommand): AggregateRef[] {
  return command.type === 'structure.create'
    ? [{ entityType: 'settlement', entityId: command.payload.settlementId }]
    : [];
}

export function statusOf(state: StructureState): AggregateStatus {
  return state.status;
}

export const structureDecider: Decider<StructureCommand, StructureEvent, StructureState> = {
  entityType: 'structure',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'structure.create': { creates: true },
    'structure.rename': {},
    'structure.set-type': {},
    'structure.set-level': {},
    'structure.set-condition': {},
    'structure.delete': {},
  },
};
