import type { EventOf, OwnerType, VariableValue } from '@cm/contracts';
import { unknownEvent } from '../guards.js';

/**
 * All state variables of one owner entity: one aggregate per owner, so that setting two keys of the same
 * owner serialises but different owners never contend. It has no create or delete of its own.
 */
export interface StateVariableState {
  /** Null until the first variable is set. */
  ownerType: OwnerType | null;
  ownerId: string | null;
  /** Value per key. Read it through `variableValue`: keys such as `constructor` are valid. */
  values: Readonly<Record<string, VariableValue>>;
}

export type StateVariableEvent = EventOf<'state-variable'>;

export const initialState: StateVariableState = { ownerType: null, ownerId: null, values: {} };

export function variableValue(state: StateVariableState, key: string): VariableValue | undefined {
  return Object.hasOwn(state.values, key) ? state.values[key] : undefined;
}

export function evolve(state: StateVariableState, event: StateVariableEvent): StateVariableState {
  switch (event.type) {
    case 'StateVariableSet': {
      const { ownerType, ownerId, key, value } = event.data;
      return { ownerType, ownerId, values: { ...state.values, [key]: value } };
    }
    case 'StateVariableUnset': {
      const { ownerType, ownerId, key } = event.data;
      const { [key]: _unset, ...values } = state.values;
      return { ownerType, ownerId, values };
    }
    default:
      return unknownEvent(event);
  }
}
