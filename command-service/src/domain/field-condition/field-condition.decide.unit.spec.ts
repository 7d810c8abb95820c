import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { command, given } from '../given.test-util.js';
import { fieldConditionDecider, type FieldConditionCommand } from './field-condition.decide.js';
import type { FieldConditionState, JsonLogic } from './field-condition.state.js';

const condition = <T extends FieldConditionCommand['type']>(type: T, payload: CommandPayload<T>) =>
  command(type, payload, { aggregateId: 'fc1' });
const prosperous: JsonLogic = { '>': [{ var: 'level' }, 3] };
const walled: JsonLogic = { '==': [{ var: 'variables.walled' }, true] };
/** A condition on every settlement. */
const defined = {
  type: 'FieldConditionDefined',
  data: {
    entityType: 'settlement',
    entityId: null,
    field: 'prosperous',
    expression: prosperous,
    priority: 0,
    active: true,
  },
} as const;
const deleted = { type: 'FieldConditionDeleted', data: {} } as const;
const defineForAll = condition('field-condition.define', {
  entityType: 'settlement',
  field: 'prosperous',
  expression: prosperous,
  priority: 0,
  active: true,
});
const defineForOne = condition('field-condition.define', {
  entityType: 'settlement',
  entityId: 's1',
  field: 'prosperous',
  expression: prosperous,
  priority: 5,
  active: false,
});
const update = (payload: CommandPayload<'field-condition.update'>) => condition('field-condition.update', payload);
const updated = (data: Partial<{ field: string; expression: JsonLogic; priority: number; active: boolean }>) => ({
  type: 'FieldConditionUpdated' as const,
  data: { field: 'prosperous', expression: prosperous, priority: 0, active: true, ...data },
});

describe('field-condition.define', () => {
  it('defines a condition on every entity of a type, with a null entity id', () => {
    given(fieldConditionDecider).when(defineForAll).then([defined]);
  });
  it('checks no entity when it covers a whole type', () => {
    expect(fieldConditionDecider.refsOf(defineForAll)).toEqual([]);
  });
  it('defines a condition on one live entity', () => {
    given(fieldConditionDecider)
      .when(defineForOne, { refs: { 'settlement:s1': 'active' } })
      .then([
        {
          type: 'FieldConditionDefined',
          data: {
            entityType: 'settlement',
            entityId: 's1',
            field: 'prosperous',
            expression: prosperous,
            priority: 5,
            active: false,
          },
        },
      ]);
  });
  it('refers to the one entity it covers', () => {
    expect(fieldConditionDecider.refsOf(defineForOne)).toEqual([{ entityType: 'settlement', entityId: 's1' }]);
  });
  it('rejects a missing entity', () => {
    given(fieldConditionDecider)
      .when(defineForOne, { refs: { 'settlement:s1': 'absent' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('rejects a deleted entity', () => {
    given(fieldConditionDecider)
      .when(defineForOne, { refs: { 'settlement:s1': 'deleted' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('treats an entity the shell did not load as missing', () => {
    given(fieldConditionDecider).when(defineForOne).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects an existing condition', () => {
    given(fieldConditionDecider, [defined])
      .when(defineForAll)
      .thenThrows(ErrorCode.ALREADY_EXISTS, 'field-condition fc1 already exists');
  });
  it('rejects a deleted condition: ids are not reused', () => {
    given(fieldConditionDecider, [defined, deleted]).when(defineForAll).thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('reports an existing condition before a missing entity', () => {
    given(fieldConditionDecider, [defined]).when(defineForOne).thenThrows(ErrorCode.ALREADY_EXISTS);
  });
});

describe('field-condition.update', () => {
  it('changes the field, carrying the whole definition', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ field: 'rich' }))
      .then([updated({ field: 'rich' })]);
  });
  it('changes the expression', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ expression: walled }))
      .then([updated({ expression: walled })]);
  });
  it('changes the priority', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ priority: -10 }))
      .then([updated({ priority: -10 })]);
  });
  it('changes the priority back to 0', () => {
    given(fieldConditionDecider, [defined, updated({ priority: 7 })])
      .when(update({ priority: 0 }))
      .then([updated({ priority: 0 })]);
  });
  it('deactivates the condition', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ active: false }))
      .then([updated({ active: false })]);
  });
  it('reactivates the condition', () => {
    given(fieldConditionDecider, [defined, updated({ active: false })])
      .when(update({ active: true }))
      .then([updated({ active: true })]);
  });
  it('changes several parts at once', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ field: 'rich', expression: walled, priority: 2, active: false }))
      .then([updated({ field: 'rich', expression: walled, priority: 2, active: false })]);
  });
  it('keeps what an earlier update changed', () => {
    given(fieldConditionDecider, [defined, updated({ field: 'rich', priority: 2 })])
      .when(update({ active: false }))
      .then([updated({ field: 'rich', priority: 2, active: false })]);
  });
  it('changes nothing when the payload is empty', () => {
    given(fieldConditionDecider, [defined]).when(update({})).then([]);
  });
  it('changes nothing when every part is the same', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ field: 'prosperous', expression: prosperous, priority: 0, active: true }))
      .then([]);
  });
  it('changes nothing for a structurally equal expression', () => {
    const expression: JsonLogic = {
      and: [{ '>': [{ var: 'level' }, 3] }, { '==': [{ var: 'variables.walled' }, true] }],
    };
    given(fieldConditionDecider, [defined, updated({ expression })])
      .when(update({ expression: structuredClone(expression) }))
      .then([]);
  });
  it('changes the expression when only the order of its operands differs', () => {
    const expression: JsonLogic = { and: [{ var: 'variables.walled' }, { var: 'variables.coastal' }] };
    const swapped: JsonLogic = { and: [{ var: 'variables.coastal' }, { var: 'variables.walled' }] };
    given(fieldConditionDecider, [defined, updated({ expression })])
      .when(update({ expression: swapped }))
      .then([updated({ expression: swapped })]);
  });
  it('changes nothing when the update repeats the last one', () => {
    given(fieldConditionDecider, [defined, updated({ field: 'rich' })])
      .when(update({ field: 'rich' }))
      .then([]);
  });
  it('checks no other aggregate', () => {
    expect(fieldConditionDecider.refsOf(update({ field: 'rich' }))).toEqual([]);
  });
  it('rejects an absent condition', () => {
    given(fieldConditionDecider)
      .when(update({ field: 'rich' }))
      .thenThrows(ErrorCode.NOT_FOUND, 'field-condition fc1 not found');
  });
  it('rejects a deleted condition', () => {
    given(fieldConditionDecider, [defined, deleted])
      .when(update({ field: 'rich' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted condition even when the update would change nothing', () => {
    given(fieldConditionDecider, [defined, deleted]).when(update({})).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('field-condition.delete', () => {
  it('deletes the condition', () => {
    given(fieldConditionDecider, [defined]).when(condition('field-condition.delete', {})).then([deleted]);
  });
  it('checks no other aggregate', () => {
    expect(fieldConditionDecider.refsOf(condition('field-condition.delete', {}))).toEqual([]);
  });
  it('rejects an absent condition', () => {
    given(fieldConditionDecider).when(condition('field-condition.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted condition', () => {
    given(fieldConditionDecider, [defined, deleted])
      .when(condition('field-condition.delete', {}))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('field-condition state', () => {
  it('folds an update over the definition, keeping what it covers', () => {
    const { state } = given(fieldConditionDecider, [
      defined,
      updated({ field: 'rich', expression: walled, priority: 3, active: false }),
    ]);
    expect(state).toEqual({
      status: 'active',
      entityType: 'settlement',
      entityId: null,
      field: 'rich',
      expression: walled,
      priority: 3,
      active: false,
    });
  });
  it('is absent, then active, then deleted', () => {
    const { statusOf } = fieldConditionDecider;
    expect(statusOf(given(fieldConditionDecider).state)).toBe('absent');
    expect(statusOf(given(fieldConditionDecider, [defined]).state)).toBe('active');
    expect(statusOf(given(fieldConditionDecider, [defined, deleted]).state)).toBe('deleted');
  });
});

describe('field-condition expressions, checked at definition', () => {
  const defineWith = (expression: JsonLogic, field = 'prosperous') =>
    condition('field-condition.define', { entityType: 'settlement', field, expression, priority: 0, active: true });
  const deep = (depth: number): JsonLogic => {
    let node: unknown = true;
    for (let i = 0; i < depth; i++) node = { '!': [node] };
    return node as JsonLogic;
  };
  it('rejects an unknown operator, naming it', () => {
    given(fieldConditionDecider)
      .when(defineWith({ regex: ['^a+$', 'aaa'] }))
      .thenThrows(ErrorCode.VALIDATION, /unknown operator "regex"/);
  });
  it('rejects a __proto__ path', () => {
    given(fieldConditionDecider)
      .when(defineWith({ var: 'variables.__proto__' }))
      .thenThrows(ErrorCode.VALIDATION, /__proto__/);
  });
  it('rejects a constructor path inside map', () => {
    given(fieldConditionDecider)
      .when(defineWith({ map: [{ var: 'structures' }, { var: 'constructor.name' }] }))
      .thenThrows(ErrorCode.VALIDATION, /forbidden segment "constructor"/);
  });
  it('rejects nesting 10,000 deep', () => {
    given(fieldConditionDecider)
      .when(defineWith(deep(10_000)))
      .thenThrows(ErrorCode.VALIDATION, /nested deeper than 64/);
  });
  it('rejects a path the entity type does not have, naming it', () => {
    given(fieldConditionDecider)
      .when(defineWith({ var: 'population' }))
      .thenThrows(ErrorCode.VALIDATION, /path "population"/);
  });
  it('rejects a field that reads itself', () => {
    given(fieldConditionDecider)
      .when(defineWith({ var: 'computed.prosperous' }))
      .thenThrows(ErrorCode.VALIDATION, /reads itself/);
  });
  it('accepts child aggregates, parent access and other computed fields', () => {
    const expression: JsonLogic = {
      '>': [
        { '+': [{ sum: ['structures', 'level'] }, { var: 'parent.variables.bonus' }] },
        { var: 'computed.threshold' },
      ],
    };
    given(fieldConditionDecider)
      .when(defineWith(expression))
      .then([
        {
          type: 'FieldConditionDefined',
          data: {
            entityType: 'settlement',
            entityId: null,
            field: 'prosperous',
            expression,
            priority: 0,
            active: true,
          },
        },
      ]);
  });
  it('rejects an update to a bad expression', () => {
    given(fieldConditionDecider, [defined])
      .when(update({ expression: { eval: 'x' } }))
      .thenThrows(ErrorCode.VALIDATION, /unknown operator "eval"/);
  });
  it('rejects renaming the field into one its expression reads', () => {
    given(fieldConditionDecider, [defined, updated({ expression: { var: 'computed.rich' } })])
      .when(update({ field: 'rich' }))
      .thenThrows(ErrorCode.VALIDATION, /reads itself/);
  });
});

describe('cycles among computed fields (ctx.siblings: the other live conditions of the campaign branch)', () => {
  const sibling = (
    field: string,
    expression: JsonLogic,
    more: Partial<FieldConditionState> = {},
  ): FieldConditionState => ({
    status: 'active',
    entityType: 'settlement',
    entityId: null,
    field,
    expression,
    priority: 0,
    active: true,
    ...more,
  });
  const reads = (...fields: string[]): JsonLogic => ({ '+': fields.map((f) => ({ var: `computed.${f}` })) });
  const siblings = (...list: FieldConditionState[]) => new Map(list.map((s, i) => [`fc-${i}`, s]));
  const define = (field: string, expression: JsonLogic, more: { active?: boolean; entityType?: 'structure' } = {}) =>
    condition('field-condition.define', {
      entityType: more.entityType ?? 'settlement',
      field,
      expression,
      priority: 0,
      active: more.active ?? true,
    });

  it('rejects a definition closing a 2-cycle, naming the path', () => {
    given(fieldConditionDecider)
      .when(define('b', reads('a')), { siblings: siblings(sibling('a', reads('b'))) })
      .thenThrows(ErrorCode.VALIDATION, 'closes a cycle b -> a -> b');
  });
  it('rejects a definition closing a 3-cycle, naming the path', () => {
    given(fieldConditionDecider)
      .when(define('c', reads('a')), { siblings: siblings(sibling('a', reads('b')), sibling('b', reads('c'))) })
      .thenThrows(ErrorCode.VALIDATION, 'closes a cycle c -> a -> b -> c');
  });
  it('accepts a chain', () => {
    given(fieldConditionDecider)
      .when(define('c', reads('b')), { siblings: siblings(sibling('a', { var: 'level' }), sibling('b', reads('a'))) })
      .then([
        {
          type: 'FieldConditionDefined',
          data: {
            entityType: 'settlement',
            entityId: null,
            field: 'c',
            expression: reads('b'),
            priority: 0,
            active: true,
          },
        },
      ]);
  });
  it('counts neither inactive nor other types’ conditions, and a condition on one entity counts for its type', () => {
    const ok = siblings(
      sibling('a', reads('b'), { active: false }),
      sibling('a', reads('b'), { entityType: 'structure' }),
    );
    expect(() => given(fieldConditionDecider).when(define('b', reads('a')), { siblings: ok })).not.toThrow();
    given(fieldConditionDecider)
      .when(define('b', reads('a')), { siblings: siblings(sibling('a', reads('b'), { entityId: 's1' })) })
      .thenThrows(ErrorCode.VALIDATION, /b -> a -> b/);
  });
  it('accepts an inactive definition that would close a cycle, and checks it when it is activated', () => {
    const around = siblings(sibling('a', reads('b')));
    given(fieldConditionDecider)
      .when(define('b', reads('a'), { active: false }), { siblings: around })
      .then([
        {
          type: 'FieldConditionDefined',
          data: {
            entityType: 'settlement',
            entityId: null,
            field: 'b',
            expression: reads('a'),
            priority: 0,
            active: false,
          },
        },
      ]);
    const inactiveB = { ...defined, data: { ...defined.data, field: 'b', expression: reads('a'), active: false } };
    given(fieldConditionDecider, [inactiveB])
      .when(update({ active: true }), { siblings: around })
      .thenThrows(ErrorCode.VALIDATION, 'closes a cycle b -> a -> b');
  });
  it('rejects an update of the expression or of the field that closes a cycle', () => {
    const around = siblings(sibling('a', reads('prosperous')), sibling('rich', reads('prosperous')));
    given(fieldConditionDecider, [defined])
      .when(update({ expression: reads('a') }), { siblings: around })
      .thenThrows(ErrorCode.VALIDATION, 'closes a cycle prosperous -> a -> prosperous');
    given(fieldConditionDecider, [defined, updated({ expression: reads('rich') })])
      .when(update({ field: 'a' }), { siblings: siblings(sibling('rich', reads('a'))) })
      .thenThrows(ErrorCode.VALIDATION, 'closes a cycle a -> rich -> a');
  });
  it('leaves a cycle elsewhere (left by a race) to the rules service', () => {
    const loop = siblings(sibling('p', reads('q')), sibling('q', reads('p')));
    expect(() => given(fieldConditionDecider).when(define('r', reads('p')), { siblings: loop })).not.toThrow();
  });
});
