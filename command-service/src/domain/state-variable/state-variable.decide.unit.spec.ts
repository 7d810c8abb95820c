import { ErrorCode, variableAggregateId, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { command, given } from '../given.test-util.js';
import { stateVariableDecider, type StateVariableCommand } from './state-variable.decide.js';
import { variableValue } from './state-variable.state.js';

/** The variables of settlement s1 live in aggregate `settlement~s1`. */
const AGGREGATE_ID = 'settlement~s1';
const variable = <T extends StateVariableCommand['type']>(
  type: T,
  payload: CommandPayload<T>,
  aggregateId = AGGREGATE_ID,
) => command(type, payload, { aggregateId });
const owner = { ownerType: 'settlement', ownerId: 's1' } as const;
const liveOwner = { refs: { 'settlement:s1': 'active' } } as const;
const populationSet = {
  type: 'StateVariableSet',
  data: { ...owner, key: 'population', value: { type: 'number', value: 1200 } },
} as const;
const populationUnset = { type: 'StateVariableUnset', data: { ...owner, key: 'population' } } as const;
const setPopulation = (value: number) =>
  variable('state-variable.set', { ...owner, key: 'population', value: { type: 'number', value } });

describe('state-variable aggregate id', () => {
  it('is the owner type and id joined by ~', () => {
    expect(variableAggregateId('settlement', 's1')).toBe(AGGREGATE_ID);
    expect(variableAggregateId('world-event', 'we1')).toBe('world-event~we1');
  });
  it('rejects a set addressed to another owner id', () => {
    given(stateVariableDecider)
      .when(
        variable(
          'state-variable.set',
          { ...owner, key: 'population', value: { type: 'number', value: 1 } },
          'settlement~s2',
        ),
        liveOwner,
      )
      .thenThrows(ErrorCode.VALIDATION, 'live in aggregate settlement~s1');
  });
  it('rejects a set addressed to another owner type', () => {
    given(stateVariableDecider)
      .when(
        variable(
          'state-variable.set',
          { ...owner, key: 'population', value: { type: 'number', value: 1 } },
          'kingdom~s1',
        ),
        liveOwner,
      )
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('rejects a set addressed to the bare owner id', () => {
    given(stateVariableDecider)
      .when(
        variable('state-variable.set', { ...owner, key: 'population', value: { type: 'number', value: 1 } }, 's1'),
        liveOwner,
      )
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('reports the mismatch before a missing owner', () => {
    given(stateVariableDecider)
      .when(
        variable(
          'state-variable.set',
          { ...owner, key: 'population', value: { type: 'number', value: 1 } },
          'settlement~s2',
        ),
      )
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('rejects an unset addressed to another owner, even where the key is set', () => {
    given(stateVariableDecider, [populationSet])
      .when(variable('state-variable.unset', { ...owner, key: 'population' }, 'settlement~s2'))
      .thenThrows(ErrorCode.VALIDATION);
  });
});

describe('state-variable.set', () => {
  it('sets a variable of a live owner', () => {
    given(stateVariableDecider).when(setPopulation(1200), liveOwner).then([populationSet]);
  });
  it('refers to its owner', () => {
    expect(stateVariableDecider.refsOf(setPopulation(1200))).toEqual([{ entityType: 'settlement', entityId: 's1' }]);
  });
  it('sets a variable of a world event, whatever status the event is in', () => {
    const cmd = variable(
      'state-variable.set',
      { ownerType: 'world-event', ownerId: 'we1', key: 'casualties', value: { type: 'number', value: 3 } },
      'world-event~we1',
    );
    expect(stateVariableDecider.refsOf(cmd)).toEqual([{ entityType: 'world-event', entityId: 'we1' }]);
    given(stateVariableDecider)
      .when(cmd, { refs: { 'world-event:we1': 'active' } })
      .then([
        {
          type: 'StateVariableSet',
          data: { ownerType: 'world-event', ownerId: 'we1', key: 'casualties', value: { type: 'number', value: 3 } },
        },
      ]);
  });
  it('changes the value of a set variable', () => {
    given(stateVariableDecider, [populationSet])
      .when(setPopulation(1300), liveOwner)
      .then([
        { type: 'StateVariableSet', data: { ...owner, key: 'population', value: { type: 'number', value: 1300 } } },
      ]);
  });
  it('sets another key beside a set one', () => {
    given(stateVariableDecider, [populationSet])
      .when(
        variable('state-variable.set', { ...owner, key: 'mood', value: { type: 'string', value: 'restless' } }),
        liveOwner,
      )
      .then([
        { type: 'StateVariableSet', data: { ...owner, key: 'mood', value: { type: 'string', value: 'restless' } } },
      ]);
  });
  it('changes nothing when the value is the same', () => {
    given(stateVariableDecider, [populationSet]).when(setPopulation(1200), liveOwner).then([]);
  });
  it('changes nothing for an equal JSON value, whatever its key order', () => {
    given(stateVariableDecider, [
      {
        type: 'StateVariableSet',
        data: { ...owner, key: 'trade', value: { type: 'json', value: { grain: 3, wool: [1, 2] } } },
      },
    ])
      .when(
        variable('state-variable.set', {
          ...owner,
          key: 'trade',
          value: { type: 'json', value: { wool: [1, 2], grain: 3 } },
        }),
        liveOwner,
      )
      .then([]);
  });
  it('sets a JSON value whose array order differs', () => {
    given(stateVariableDecider, [
      { type: 'StateVariableSet', data: { ...owner, key: 'trade', value: { type: 'json', value: { wool: [1, 2] } } } },
    ])
      .when(
        variable('state-variable.set', { ...owner, key: 'trade', value: { type: 'json', value: { wool: [2, 1] } } }),
        liveOwner,
      )
      .then([
        {
          type: 'StateVariableSet',
          data: { ...owner, key: 'trade', value: { type: 'json', value: { wool: [2, 1] } } },
        },
      ]);
  });
  it('sets an equal value of another type', () => {
    given(stateVariableDecider, [
      { type: 'StateVariableSet', data: { ...owner, key: 'walled', value: { type: 'boolean', value: true } } },
    ])
      .when(
        variable('state-variable.set', { ...owner, key: 'walled', value: { type: 'json', value: true } }),
        liveOwner,
      )
      .then([{ type: 'StateVariableSet', data: { ...owner, key: 'walled', value: { type: 'json', value: true } } }]);
  });
  it('sets again a variable that was unset', () => {
    given(stateVariableDecider, [populationSet, populationUnset])
      .when(setPopulation(1200), liveOwner)
      .then([populationSet]);
  });
  it('sets a key that is an Object.prototype property name', () => {
    given(stateVariableDecider)
      .when(
        variable('state-variable.set', { ...owner, key: 'constructor', value: { type: 'boolean', value: false } }),
        liveOwner,
      )
      .then([
        { type: 'StateVariableSet', data: { ...owner, key: 'constructor', value: { type: 'boolean', value: false } } },
      ]);
  });
  it('rejects a missing owner', () => {
    given(stateVariableDecider)
      .when(setPopulation(1200), { refs: { 'settlement:s1': 'absent' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('rejects a deleted owner, even when the value would not change', () => {
    given(stateVariableDecider, [populationSet])
      .when(setPopulation(1200), { refs: { 'settlement:s1': 'deleted' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'settlement s1 not found');
  });
  it('treats an owner the shell did not load as missing', () => {
    given(stateVariableDecider).when(setPopulation(1200)).thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('state-variable.unset', () => {
  const unset = (key: string) => variable('state-variable.unset', { ...owner, key });

  it('unsets a set variable', () => {
    given(stateVariableDecider, [populationSet]).when(unset('population')).then([populationUnset]);
  });
  it('checks no owner: what a deleted owner left behind can be unset', () => {
    expect(stateVariableDecider.refsOf(unset('population'))).toEqual([]);
    given(stateVariableDecider, [populationSet])
      .when(unset('population'), { refs: { 'settlement:s1': 'deleted' } })
      .then([populationUnset]);
  });
  it('rejects a variable that was never set', () => {
    given(stateVariableDecider)
      .when(unset('population'))
      .thenThrows(ErrorCode.NOT_FOUND, 'state variable population of settlement s1 is not set');
  });
  it('rejects a variable that is already unset', () => {
    given(stateVariableDecider, [populationSet, populationUnset])
      .when(unset('population'))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects another key of the same owner', () => {
    given(stateVariableDecider, [populationSet]).when(unset('mood')).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a key that is only an Object.prototype property', () => {
    given(stateVariableDecider, [populationSet]).when(unset('toString')).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('unsets a key that is an Object.prototype property name', () => {
    given(stateVariableDecider, [
      { type: 'StateVariableSet', data: { ...owner, key: '__proto__', value: { type: 'number', value: 1 } } },
    ])
      .when(unset('__proto__'))
      .then([{ type: 'StateVariableUnset', data: { ...owner, key: '__proto__' } }]);
  });
});

describe('state-variable state', () => {
  it('keeps one value per key, the latest', () => {
    const { state } = given(stateVariableDecider, [
      populationSet,
      { type: 'StateVariableSet', data: { ...owner, key: 'mood', value: { type: 'string', value: 'calm' } } },
      { type: 'StateVariableSet', data: { ...owner, key: 'population', value: { type: 'number', value: 900 } } },
    ]);
    expect(state).toEqual({
      ownerType: 'settlement',
      ownerId: 's1',
      values: { population: { type: 'number', value: 900 }, mood: { type: 'string', value: 'calm' } },
    });
  });
  it('folds an unset out of the values', () => {
    const { state } = given(stateVariableDecider, [
      populationSet,
      { type: 'StateVariableSet', data: { ...owner, key: 'mood', value: { type: 'string', value: 'calm' } } },
      populationUnset,
    ]);
    expect(state.values).toEqual({ mood: { type: 'string', value: 'calm' } });
  });
  it('reads a key as an own property only', () => {
    const { state } = given(stateVariableDecider, [
      { type: 'StateVariableSet', data: { ...owner, key: '__proto__', value: { type: 'number', value: 1 } } },
    ]);
    expect(variableValue(state, '__proto__')).toEqual({ type: 'number', value: 1 });
    expect(variableValue(state, 'toString')).toBeUndefined();
    expect(Object.getPrototypeOf(state.values)).toBe(Object.prototype);
  });
  it('is absent until a variable is set, and again once every variable is unset', () => {
    const { statusOf } = stateVariableDecider;
    expect(statusOf(given(stateVariableDecider).state)).toBe('absent');
    expect(statusOf(given(stateVariableDecider, [populationSet]).state)).toBe('active');
    expect(statusOf(given(stateVariableDecider, [populationSet, populationUnset]).state)).toBe('absent');
  });
});
