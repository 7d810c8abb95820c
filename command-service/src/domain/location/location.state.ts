import type { EventOf, Geometry } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A location on the map, folded from its events. */
export interface LocationState {
  status: AggregateStatus;
  name: string;
  /** GeoJSON Point or Polygon, SRID 4326; null until created. */
  geometry: Geometry | null;
}

export type LocationEvent = EventOf<'location'>;

export const initialState: LocationState = { status: 'absent', name: '', geometry: null };

export function evolve(state: LocationState, event: LocationEvent): LocationState {
  switch (event.type) {
    case 'LocationCreated':
      return { status: 'active', name: event.data.name, geometry: event.data.geometry };
    case 'LocationRenamed':
      return { ...state, name: event.data.name };
    case 'LocationReshaped':
      return { ...state, geometry: event.data.geometry };
    case 'LocationDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
