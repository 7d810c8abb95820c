import type { AnyEvent } from '@cm/contracts';
import { entityKey } from './places.projection.js';
import { columnsOf, patch, tombstone, upsert, type WriteOp } from './write-ops.js';

/** Events of what the rules read: state variables, field conditions and world events. */
export type StateEvent = Extract<
  AnyEvent,
  {
    type:
      | 'StateVariableSet'
      | 'StateVariableUnset'
      | 'FieldConditionDefined'
      | 'FieldConditionUpdated'
      | 'FieldConditionDeleted'
      | 'WorldEventScheduled'
      | 'WorldEventActivated'
      | 'WorldEventExpired'
      | 'WorldEventResolved';
  }
>;

export function projectState(event: StateEvent, seq: number): WriteOp[] {
  switch (event.type) {
    case 'StateVariableSet': {
      // One aggregate holds all variables of an owner; the row is per key, named by the event data.
      const { ownerType, ownerId, key, value } = event.data;
      const rowKey = {
        campaign_id: event.campaignId,
        branch_id: event.branchId,
        owner_type: ownerType,
        owner_id: ownerId,
        key,
      };
      return [upsert('state_variable', rowKey, { value_type: value.type, value: value.value, deleted: false }, seq)];
    }
    case 'StateVariableUnset': {
      const { ownerType, ownerId, key } = event.data;
      return [
        tombstone(
          'state_variable',
          { campaign_id: event.campaignId, branch_id: event.branchId, owner_type: ownerType, owner_id: ownerId, key },
          seq,
        ),
      ];
    }

    case 'FieldConditionDefined':
      return [upsert('field_condition', entityKey(event), { ...columnsOf(event.data), deleted: false }, seq)];
    case 'FieldConditionUpdated': {
      const { field, expression, priority, active } = event.data;
      return [patch('field_condition', entityKey(event), { field, expression, priority, active }, seq)];
    }
    case 'FieldConditionDeleted':
      return [tombstone('field_condition', entityKey(event), seq)];

    case 'WorldEventScheduled':
      return [
        upsert(
          'world_event',
          entityKey(event),
          { ...columnsOf(event.data), status: 'scheduled', outcome: null, deleted: false },
          seq,
        ),
      ];
    case 'WorldEventActivated':
      return [patch('world_event', entityKey(event), { status: 'active' }, seq)];
    case 'WorldEventExpired':
      return [patch('world_event', entityKey(event), { status: 'expired' }, seq)];
    case 'WorldEventResolved':
      // The event carries the effects it applies (copied from the schedule), so the row keeps what was applied.
      return [
        patch(
          'world_event',
          entityKey(event),
          { status: 'resolved', outcome: event.data.outcome, effects: event.data.effects },
          seq,
        ),
      ];
    default:
      return unknown(event);
  }
}

function unknown(event: never): never {
  throw new Error(`no projection for event type ${(event as { type: string }).type}`);
}
