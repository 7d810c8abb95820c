import type { EventData, EventOf, OwnerType } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/** A JSONLogic expression, as the rules service compiles it. */
export type JsonLogic = EventData<'FieldConditionDefined'>['expression'];

/**
 * A computed field: `field` of every entity of `entityType`, or of one entity when `entityId` is set, is
 * computed by `expression`; among several active conditions on one field the highest `priority` wins.
 */
export interface FieldConditionState {
  status: AggregateStatus;
  entityType: OwnerType | null;
  entityId: string | null;
  field: string;
  expression: JsonLogic;
  priority: number;
  active: boolean;
}

export type FieldConditionEvent = EventOf<'field-condition'>;

export const initialState: FieldConditionState = {
  status: 'absent',
  entityType: null,
  entityId: null,
  field: '',
  expression: {},
  priority: 0,
  active: false,
};

export function evolve(state: FieldConditionState, event: FieldConditionEvent): FieldConditionState {
  switch (event.type) {
    case 'FieldConditionDefined':
      return { status: 'active', ...event.data };
    case 'FieldConditionUpdated':
      return { ...state, ...event.data };
    case 'FieldConditionDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
