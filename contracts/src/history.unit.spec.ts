import { describe, expect, it } from 'vitest';
import { diffStates } from './history.js';

describe('diffStates', () => {
  it('lists the fields whose values differ, with before and after', () => {
    expect(diffStates({ status: 'active', name: 'a', level: 1 }, { status: 'active', name: 'b', level: 1 })).toEqual([
      { field: 'name', before: 'a', after: 'b' },
    ]);
  });

  it('compares objects field by field under a dotted path, and arrays as one value', () => {
    const point = (x: number) => ({ type: 'Point', coordinates: [x, 0] });
    expect(diffStates({ geometry: point(1) }, { geometry: point(1) })).toEqual([]);
    expect(diffStates({ geometry: point(1) }, { geometry: point(2) })).toEqual([
      { field: 'geometry.coordinates', before: [1, 0], after: [2, 0] },
    ]);
    const vars = (population: number) => ({
      values: { population: { type: 'number', value: population }, name: { type: 'string', value: 'x' } },
    });
    expect(diffStates(vars(1), vars(2))).toEqual([{ field: 'values.population.value', before: 1, after: 2 }]);
    expect(diffStates({ values: {} }, vars(1))).toEqual([
      { field: 'values.population', after: { type: 'number', value: 1 } },
      { field: 'values.name', after: { type: 'string', value: 'x' } },
    ]);
  });

  it('leaves out before or after where the field has no value', () => {
    expect(diffStates({ a: 1 }, { b: 2 })).toEqual([
      { field: 'a', before: 1 },
      { field: 'b', after: 2 },
    ]);
    expect(diffStates(undefined, { a: 1 })).toEqual([{ field: 'a', after: 1 }]);
  });
});
