import type { EventOf } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A settlement: in one kingdom, at one location. */
export interface SettlementState {
  status: AggregateStatus;
  kingdomId: string;
  locationId: string;
  name: string;
  level: number;
}

export type SettlementEvent = EventOf<'settlement'>;

export const initialState: SettlementState = { status: 'absent', kingdomId: '', locationId: '', name: '', level: 0 };

export function evolve(state: SettlementState, event: SettlementEvent): SettlementState {
  switch (event.type) {
    case 'SettlementCreated':
      return { status: 'active', ...event.data };
    case 'SettlementRenamed':
      return { ...state, name: event.data.name };
    case 'SettlementLevelSet':
      return { ...state, level: event.data.level };
    case 'SettlementMoved':
      return { ...state, locationId: event.data.locationId };
    case 'SettlementDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
