import type { EventOf, WorldEventEffect } from '@cm/contracts';
import { unknownEvent } from '../guards.js';

/** Where a world event is in its life: scheduled, then active, and finally expired or resolved. */
export type WorldEventStatus = 'absent' | 'scheduled' | 'active' | 'expired' | 'resolved';

/** A world event, folded from its events. It is never deleted; it ends expired or resolved. */
export interface WorldEventState {
  status: WorldEventStatus;
  name: string;
  description: string | null;
  /** ISO-8601, as scheduled. */
  scheduledAt: string;
  expiresAt: string | null;
  /** What resolving it does to state variables. */
  effects: WorldEventEffect[];
  outcome: string | null;
}

export type WorldEventEvent = EventOf<'world-event'>;

export const initialState: WorldEventState = {
  status: 'absent',
  name: '',
  description: null,
  scheduledAt: '',
  expiresAt: null,
  effects: [],
  outcome: null,
};

export function evolve(state: WorldEventState, event: WorldEventEvent): WorldEventState {
  switch (event.type) {
    case 'WorldEventScheduled':
      return { ...state, status: 'scheduled', ...event.data };
    case 'WorldEventActivated':
      return { ...state, status: 'active' };
    case 'WorldEventExpired':
      return { ...state, status: 'expired' };
    case 'WorldEventResolved':
      return { ...state, status: 'resolved', outcome: event.data.outcome };
    default:
      return unknownEvent(event);
  }
}
