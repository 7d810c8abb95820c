import type { EventOf } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A structure inside one settlement. */
export interface StructureState {
  status: AggregateStatus;
  settlementId: string;
  name: string;
  structureType: string;
  level: number;
  /** Percent: 100 is pristine, 0 is a ruin. */
  condition: number;
}

export type StructureEvent = EventOf<'structure'>;

export const initialState: StructureState = {
  status: 'absent',
  settlementId: '',
  name: '',
  structureType: '',
  level: 0,
  condition: 0,
};

export function evolve(state: StructureState, event: StructureEvent): StructureState {
  switch (event.type) {
    case 'StructureCreated':
      return { status: 'active', ...event.data };
    case 'StructureRenamed':
      return { ...state, name: event.data.name };
    case 'StructureTypeSet':
      return { ...state, structureType: event.data.structureType };
    case 'StructureLevelSet':
      return { ...state, level: event.data.level };
    case 'StructureConditionSet':
      return { ...state, condition: event.data.condition };
    case 'StructureDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
