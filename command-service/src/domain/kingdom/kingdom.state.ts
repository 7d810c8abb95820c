import type { EventOf } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A kingdom, folded from its events. */
export interface KingdomState {
  status: AggregateStatus;
  name: string;
}

export type KingdomEvent = EventOf<'kingdom'>;

export const initialState: KingdomState = { status: 'absent', name: '' };

export function evolve(state: KingdomState, event: KingdomEvent): KingdomState {
  switch (event.type) {
    case 'KingdomCreated':
      return { status: 'active', name: event.data.name };
    case 'KingdomRenamed':
      return { ...state, name: event.data.name };
    case 'KingdomDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
