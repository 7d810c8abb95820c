import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../errors.js';
import {
  analyzeExpression,
  findComputedCycle,
  findComputedCycleThrough,
  validateFieldCondition,
} from './expression-validator.js';

function rejection(expression: unknown, entityType: Parameters<typeof analyzeExpression>[1] = 'settlement'): AppError {
  try {
    analyzeExpression(expression, entityType);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe(ErrorCode.VALIDATION);
    return e as AppError;
  }
  throw new Error('expected a VALIDATION error');
}

function nested(depth: number): unknown {
  let node: unknown = 1;
  for (let i = 0; i < depth; i++) node = { '!': [node] };
  return node;
}

describe('analyzeExpression', () => {
  it('lists what an expression reads', () => {
    const deps = analyzeExpression(
      {
        and: [
          { '>': [{ var: 'level' }, { var: 'variables.minLevel' }] },
          { '==': [{ var: 'parent.name' }, { var: 'parent.variables.capital' }] },
          { '>': [{ sum: ['structures', 'level'] }, { var: 'computed.base' }] },
        ],
      },
      'settlement',
    );
    expect(deps).toEqual({
      fields: ['level'],
      variables: ['minLevel'],
      parentFields: ['name'],
      parentVariables: ['capital'],
      collections: ['structures'],
      computed: ['base'],
    });
  });
  it('accepts paths relative to an element inside map and filter', () => {
    const deps = analyzeExpression(
      { filter: [{ var: 'structures' }, { '>': [{ var: 'variables.workers' }, 2] }] },
      'settlement',
    );
    expect(deps.collections).toEqual(['structures']);
    expect(deps.variables).toEqual([]);
  });
  it('names an unknown operator', () => {
    expect(rejection({ regex: ['a+', 'aaa'] }).message).toContain('unknown operator "regex"');
  });
  it('refuses the operators that call into JavaScript', () => {
    expect(rejection({ method: [{ var: 'name' }, 'toUpperCase'] }).details).toMatchObject({ operator: 'method' });
    expect(rejection({ log: [1] }).details).toMatchObject({ operator: 'log' });
  });
  it('names an unknown operator deep inside, with where it is', () => {
    const e = rejection({ and: [true, { or: [false, { eval: 'x' }] }] });
    expect(e.details).toMatchObject({ operator: 'eval', at: '/and/1/or/1' });
  });
  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s in a path', (segment) => {
    expect(rejection({ var: `variables.${segment}` }).message).toMatch(/forbidden segment|must be variables/);
    expect(rejection({ map: [{ var: 'structures' }, { var: `${segment}.polluted` }] }).message).toContain(
      `forbidden segment "${segment}"`,
    );
  });
  it('refuses a computed path', () => {
    expect(rejection({ var: { cat: ['vari', 'ables.x'] } }).message).toContain('literal path');
  });
  it('names an unknown field', () => {
    expect(rejection({ var: 'population' }).message).toContain('path "population" names nothing a settlement has');
  });
  it('refuses a parent on a campaign', () => {
    expect(rejection({ var: 'parent.name' }, 'campaign').message).toContain('a campaign has none');
  });
  it('refuses an aggregate over something that is not a child collection', () => {
    expect(rejection({ sum: ['kingdoms', 'level'] }).message).toContain('child collection of a settlement');
  });
  it('refuses an aggregate over an unknown child field', () => {
    expect(rejection({ sum: ['structures', 'height'] }).message).toContain('literal child field');
  });
  it('refuses nesting 10,000 deep without overflowing the stack', () => {
    expect(rejection(nested(10_000)).message).toContain('nested deeper than 64');
  });
  it('accepts nesting up to the bound', () => {
    expect(() => analyzeExpression(nested(62), 'settlement')).not.toThrow();
  });
  it('refuses an expression with too many nodes', () => {
    expect(rejection({ merge: Array.from({ length: 5_000 }, (_, i) => i) }).message).toContain('more than 2000 nodes');
  });
  it('refuses an operation object with two keys', () => {
    expect(rejection({ '>': [1, 2], '<': [1, 2] }).message).toContain('exactly one operator');
  });
  it('refuses a bare value at the top', () => {
    expect(rejection(42).message).toContain('operation object');
  });
});

describe('validateFieldCondition', () => {
  it('refuses a field that reads itself', () => {
    expect(() =>
      validateFieldCondition({
        entityType: 'settlement',
        field: 'wealth',
        expression: { '+': [{ var: 'computed.wealth' }, 1] },
      }),
    ).toThrow(/reads itself/);
  });
});

describe('findComputedCycle', () => {
  it('finds a cycle through other fields', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', []],
    ]);
    expect(findComputedCycle(graph)).toEqual(['a', 'b', 'c', 'a']);
  });
  it('finds none in a chain', () => {
    expect(
      findComputedCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toBeNull();
  });
  it('ignores reads of fields nothing defines', () => {
    expect(findComputedCycle(new Map([['a', ['zzz']]]))).toBeNull();
  });
});

describe('findComputedCycleThrough', () => {
  const graph = new Map([
    ['a', ['x', 'b']],
    ['b', ['c']],
    ['c', ['a']],
    ['x', []],
    ['p', ['q']],
    ['q', ['p']],
  ]);
  it('gives the path from the field back to itself', () => {
    expect(findComputedCycleThrough(graph, 'a')).toEqual(['a', 'b', 'c', 'a']);
    expect(findComputedCycleThrough(graph, 'c')).toEqual(['c', 'a', 'b', 'c']);
  });
  it('ignores a cycle the field is not on, even one it reaches', () => {
    expect(findComputedCycleThrough(graph, 'x')).toBeNull();
    expect(findComputedCycleThrough(new Map([...graph, ['r', ['p']]]), 'r')).toBeNull();
  });
  it('finds a field reading itself, and nothing for a field the graph lacks', () => {
    expect(findComputedCycleThrough(new Map([['s', ['s']]]), 's')).toEqual(['s', 's']);
    expect(findComputedCycleThrough(graph, 'zzz')).toBeNull();
  });
});
