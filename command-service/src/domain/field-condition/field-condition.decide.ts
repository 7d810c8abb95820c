import { validateFieldCondition, type CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, DecideContext, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustBeActiveRef, mustExist, unknownCommand } from '../guards.js';
import { jsonEqual } from '../json-equal.js';
import { mustNotCloseCycle } from './field-condition.cycles.js';
import { evolve, initialState, type FieldConditionEvent, type FieldConditionState } from './field-condition.state.js';

export type FieldConditionCommand = CommandOf<'field-condition'>;

export function decide(
  command: FieldConditionCommand,
  state: FieldConditionState,
  ctx: DecideContext<FieldConditionState>,
): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'field-condition.define') {
    mustBeAbsent(state.status, 'field-condition', id);
    for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
    const { entityType, entityId, field, expression, priority, active } = command.payload;
    // The rules service compiles by the same validator: what passes here compiles there.
    validateFieldCondition({ entityType, field, expression });
    mustNotCloseCycle({ entityType, field, expression, active }, ctx.siblings);
    return [
      {
        type: 'FieldConditionDefined',
        data: { entityType, entityId: entityId ?? null, field, expression, priority, active },
      },
    ];
  }
  mustExist(state.status, 'field-condition', id);

  switch (command.type) {
    case 'field-condition.update': {
      const { field, expression, priority, active } = command.payload;
      const next = {
        field: field ?? state.field,
        expression: expression ?? state.expression,
        priority: priority ?? state.priority,
        active: active ?? state.active,
      };
      const redefined = next.field !== state.field || !jsonEqual(next.expression, state.expression);
      if (redefined) {
        validateFieldCondition({ entityType: state.entityType!, field: next.field, expression: next.expression });
      }
      if (redefined || (next.active && !state.active)) {
        mustNotCloseCycle({ entityType: state.entityType!, ...next }, ctx.siblings);
      }
      const unchanged =
        next.field === state.field &&
        jsonEqual(next.expression, state.expression) &&
        next.priority === state.priority &&
        next.active === state.active;
      // The event carries the whole definition so that projections can apply it without prior state.
      return unchanged ? [] : [{ type: 'FieldConditionUpdated', data: next }];
    }
    case 'field-condition.delete':
      return [{ type: 'FieldConditionDeleted', data: {} }];
    default:
      return unknownCommand(command);
  }
}

/** A condition on one entity needs that entity; a condition on a whole entity type needs nothing. */
export function refsOf(command: FieldConditionCommand): AggregateRef[] {
  if (command.type !== 'field-condition.define' || command.payload.entityId === undefined) return [];
  return [{ entityType: command.payload.entityType, entityId: command.payload.entityId }];
}

export function statusOf(state: FieldConditionState): AggregateStatus {
  return state.status;
}

export const fieldConditionDecider: Decider<FieldConditionCommand, FieldConditionEvent, FieldConditionState> = {
  entityType: 'field-condition',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'field-condition.define': { creates: true, needsSiblings: true },
    'field-condition.update': { needsSiblings: true },
    'field-condition.delete': {},
  },
};
