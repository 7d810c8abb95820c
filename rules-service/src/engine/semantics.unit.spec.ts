import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import type { OwnerType } from '@cm/contracts';
import { compileRule } from './compile.js';
import { plainSubject, type PlainEntity } from './plain-subject.js';

/** A settlement as the rules service sees it, and as one JSON document for json-logic-js. */
const town: PlainEntity = {
  id: 's1',
  name: 'Millbrook',
  level: 3,
  kingdomId: 'k1',
  locationId: 'l1',
  variables: {
    population: 1200,
    walled: true,
    motto: 'Ever onward',
    tags: ['river', 'trade'],
    blank: '',
    nothing: null,
    zero: 0,
  },
  parent: { id: 'k1', name: 'Avalon', variables: { taxRate: 0.1, capital: 's1' } },
  structures: [
    {
      id: 'st1',
      name: 'Mill',
      structureType: 'mill',
      level: 2,
      condition: 80,
      settlementId: 's1',
      variables: { workers: 5 },
    },
    { id: 'st2', name: 'Wall', structureType: 'wall', level: 4, condition: 50, settlementId: 's1', variables: {} },
    {
      id: 'st3',
      name: 'Well',
      structureType: 'well',
      level: 1,
      condition: 100,
      settlementId: 's1',
      variables: { workers: 3 },
    },
  ],
  computed: { prosperity: 7, ruined: false },
};
const hamlet: PlainEntity = {
  id: 's2',
  name: 'Hamlet',
  level: 0,
  kingdomId: 'k1',
  locationId: 'l2',
  variables: {},
  parent: { id: 'k1', name: 'Avalon' },
  structures: [],
};
const tower: PlainEntity = {
  id: 'st9',
  name: 'Tower',
  structureType: 'tower',
  level: 5,
  condition: 40,
  settlementId: 's1',
  variables: {},
  parent: { id: 's1', name: 'Millbrook', level: 3, variables: { population: 1200 } },
};

interface Case {
  name: string;
  expr: unknown;
  expected: unknown;
  data?: PlainEntity;
  type?: OwnerType;
  /** What json-logic-js evaluates instead, where our operator is an extension (child aggregates). */
  reference?: unknown;
}

const sumLevels = { reduce: [{ var: 'structures' }, { '+': [{ var: 'accumulator' }, { var: 'current.level' }] }, 0] };

const cases: Case[] = [
  // arithmetic
  { name: '+ of two numbers', expr: { '+': [1, 2] }, expected: 3 },
  { name: '+ of many', expr: { '+': [1, 2, 3, 4] }, expected: 10 },
  { name: '+ parses numeric strings', expr: { '+': ['1.5', 2] }, expected: 3.5 },
  { name: '+ with one argument casts', expr: { '+': ['7'] }, expected: 7 },
  { name: '- binary', expr: { '-': [10, 4] }, expected: 6 },
  { name: '- unary negates', expr: { '-': [5] }, expected: -5 },
  { name: '* of many', expr: { '*': [2, 3, 4] }, expected: 24 },
  { name: '* of one returns it', expr: { '*': [6] }, expected: 6 },
  { name: '/ divides', expr: { '/': [9, 2] }, expected: 4.5 },
  { name: '% remainder', expr: { '%': [10, 3] }, expected: 1 },
  { name: 'arithmetic over a field', expr: { '*': [{ var: 'level' }, 100] }, expected: 300 },
  { name: 'arithmetic over a variable', expr: { '/': [{ var: 'variables.population' }, 100] }, expected: 12 },
  { name: 'min of values', expr: { min: [3, 1, 2] }, expected: 1 },
  { name: 'max of values', expr: { max: [3, 1, { var: 'level' }] }, expected: 3 },
  // comparisons
  { name: '== loose', expr: { '==': [1, '1'] }, expected: true },
  { name: '=== strict', expr: { '===': [1, '1'] }, expected: false },
  { name: '!= loose', expr: { '!=': [1, 2] }, expected: true },
  { name: '!== strict', expr: { '!==': [1, 1] }, expected: false },
  { name: '> on a field', expr: { '>': [{ var: 'level' }, 2] }, expected: true },
  { name: '>= equal', expr: { '>=': [{ var: 'level' }, 3] }, expected: true },
  { name: '< false', expr: { '<': [{ var: 'level' }, 3] }, expected: false },
  { name: '<= true', expr: { '<=': [2, { var: 'level' }] }, expected: true },
  { name: '< between exclusive', expr: { '<': [1, { var: 'level' }, 5] }, expected: true },
  { name: '<= between inclusive', expr: { '<=': [3, { var: 'level' }, 3] }, expected: true },
  { name: '< between outside', expr: { '<': [3, { var: 'level' }, 5] }, expected: false },
  { name: 'compare strings', expr: { '<': ['apple', 'banana'] }, expected: true },
  // a literal right operand, folded at compile time
  { name: '+ with a literal string right', expr: { '+': [{ var: 'level' }, '2.5'] }, expected: 5.5 },
  { name: '+ with a literal null right', expr: { '+': [{ var: 'level' }, null] }, expected: Number.NaN },
  { name: '- with a literal right, missing left', expr: { '-': [{ var: 'variables.none' }, 1] }, expected: -1 },
  { name: '/ by a literal 0', expr: { '/': [{ var: 'level' }, 0] }, expected: Number.POSITIVE_INFINITY },
  { name: '== loose against a literal string', expr: { '==': [{ var: 'level' }, '3'] }, expected: true },
  { name: '=== strict against a literal string', expr: { '===': [{ var: 'level' }, '3'] }, expected: false },
  { name: '!= against literal null, missing', expr: { '!=': [{ var: 'variables.none' }, null] }, expected: false },
  {
    name: '!== against literal null, present null',
    expr: { '!==': [{ var: 'variables.nothing' }, null] },
    expected: false,
  },
  { name: '>= against a literal string', expr: { '>=': [{ var: 'variables.population' }, '1200'] }, expected: true },
  {
    name: '<= against a literal, parent variable',
    expr: { '<=': [{ var: 'parent.variables.taxRate' }, 0.1] },
    expected: true,
  },
  { name: '> parent field against a literal', expr: { '>': [{ var: 'parent.name' }, 'A'] }, expected: true },
  // logic
  { name: 'and all true returns last', expr: { and: [true, 'x', 3] }, expected: 3 },
  { name: 'and returns first falsy', expr: { and: [true, 0, 3] }, expected: 0 },
  { name: 'or returns first truthy', expr: { or: [false, '', 'yes'] }, expected: 'yes' },
  { name: 'or all falsy returns last', expr: { or: [false, 0] }, expected: 0 },
  { name: '! negates', expr: { '!': [true] }, expected: false },
  { name: '! of empty array is true', expr: { '!': [[]] }, expected: true },
  { name: '!! of a non-empty string', expr: { '!!': ['0'] }, expected: true },
  { name: '!! of an empty array', expr: { '!!': [[]] }, expected: false },
  {
    name: 'and over fields and variables',
    expr: { and: [{ '>': [{ var: 'level' }, 1] }, { var: 'variables.walled' }] },
    expected: true,
  },
  // if
  { name: 'if then', expr: { if: [true, 'a', 'b'] }, expected: 'a' },
  { name: 'if else', expr: { if: [false, 'a', 'b'] }, expected: 'b' },
  {
    name: 'if else-if chain',
    expr: { if: [{ '<': [{ var: 'level' }, 2] }, 'small', { '<': [{ var: 'level' }, 4] }, 'medium', 'large'] },
    expected: 'medium',
  },
  { name: 'if with no else is null', expr: { if: [false, 'a'] }, expected: null },
  { name: '?: ternary', expr: { '?:': [{ var: 'variables.walled' }, 'safe', 'exposed'] }, expected: 'safe' },
  { name: 'if on an empty array is false', expr: { if: [[], 'a', 'b'] }, expected: 'b' },
  // in
  { name: 'in an array', expr: { in: ['river', { var: 'variables.tags' }] }, expected: true },
  { name: 'not in an array', expr: { in: ['mountain', { var: 'variables.tags' }] }, expected: false },
  { name: 'in a string', expr: { in: ['onward', { var: 'variables.motto' }] }, expected: true },
  { name: 'in a missing value is false', expr: { in: ['x', { var: 'variables.absent' }] }, expected: false },
  // var
  { name: 'var of a field', expr: { var: 'name' }, expected: 'Millbrook' },
  { name: 'var in array form', expr: { var: ['level'] }, expected: 3 },
  { name: 'var default for a missing variable', expr: { var: ['variables.morale', 50] }, expected: 50 },
  { name: 'var default unused when present', expr: { var: ['variables.population', 0] }, expected: 1200 },
  {
    name: 'var default is itself evaluated',
    expr: { var: ['variables.morale', { '+': [{ var: 'level' }, 1] }] },
    expected: 4,
  },
  { name: 'a present null keeps null over the default', expr: { var: ['variables.nothing', 5] }, expected: null },
  { name: 'a present zero keeps zero', expr: { var: ['variables.zero', 5] }, expected: 0 },
  // missing variables
  { name: 'a missing variable is null', expr: { var: 'variables.morale' }, expected: null },
  {
    name: 'arithmetic on a missing variable does not throw',
    expr: { '+': [{ var: 'variables.morale' }, 1] },
    expected: NaN,
  },
  { name: 'a missing variable compares as null', expr: { '==': [{ var: 'variables.morale' }, null] }, expected: true },
  { name: 'variables of an entity with none', expr: { var: ['variables.population', -1] }, expected: -1, data: hamlet },
  {
    name: 'missing lists absent and empty keys',
    expr: { missing: ['variables.population', 'variables.morale', 'variables.blank'] },
    expected: ['variables.morale', 'variables.blank'],
  },
  { name: 'missing with nothing missing', expr: { missing: ['name', 'level'] }, expected: [] },
  {
    name: 'missing_some satisfied',
    expr: { missing_some: [1, ['variables.morale', 'variables.population']] },
    expected: [],
  },
  {
    name: 'missing_some unsatisfied',
    expr: { missing_some: [2, ['variables.morale', 'variables.population']] },
    expected: ['variables.morale'],
  },
  // strings and arrays
  { name: 'cat', expr: { cat: [{ var: 'name' }, ' of ', { var: 'parent.name' }] }, expected: 'Millbrook of Avalon' },
  { name: 'cat with numbers', expr: { cat: ['level ', { var: 'level' }] }, expected: 'level 3' },
  { name: 'substr from start', expr: { substr: [{ var: 'name' }, 4] }, expected: 'brook' },
  { name: 'substr with length', expr: { substr: [{ var: 'name' }, 0, 4] }, expected: 'Mill' },
  { name: 'substr with a negative end', expr: { substr: [{ var: 'name' }, 0, -5] }, expected: 'Mill' },
  { name: 'merge flattens one level', expr: { merge: [[1, 2], 3, [[4]]] }, expected: [1, 2, 3, [4]] },
  { name: 'map', expr: { map: [[1, 2, 3], { '*': [{ var: '' }, 2] }] }, expected: [2, 4, 6] },
  { name: 'filter', expr: { filter: [[1, 2, 3, 4], { '>': [{ var: '' }, 2] }] }, expected: [3, 4] },
  {
    name: 'reduce',
    expr: { reduce: [[1, 2, 3], { '+': [{ var: 'current' }, { var: 'accumulator' }] }, 10] },
    expected: 16,
  },
  {
    name: 'reduce of a non-array is the initial value',
    expr: { reduce: [{ var: 'variables.morale' }, { var: 'current' }, 5] },
    expected: 5,
  },
  { name: 'all of empty is false', expr: { all: [[], true] }, expected: false },
  {
    name: 'some',
    expr: { some: [{ var: 'structures' }, { '===': [{ var: 'structureType' }, 'wall'] }] },
    expected: true,
  },
  { name: 'none', expr: { none: [{ var: 'structures' }, { '<': [{ var: 'condition' }, 10] }] }, expected: true },
  {
    name: 'all structures standing',
    expr: { all: [{ var: 'structures' }, { '>': [{ var: 'condition' }, 40] }] },
    expected: true,
  },
  {
    name: 'map over children',
    expr: { map: [{ var: 'structures' }, { var: 'name' }] },
    expected: ['Mill', 'Wall', 'Well'],
  },
  {
    name: 'filter children by a variable',
    expr: { filter: [{ var: 'structures' }, { '>': [{ var: 'variables.workers' }, 4] }] },
    expected: [(town.structures as unknown[])[0]],
  },
  { name: 'index into children', expr: { var: 'structures.1.name' }, expected: 'Wall' },
  // parent access
  { name: 'parent field', expr: { var: 'parent.name' }, expected: 'Avalon' },
  {
    name: 'parent variable',
    expr: { '*': [{ var: 'variables.population' }, { var: 'parent.variables.taxRate' }] },
    expected: 120,
  },
  { name: 'parent variable missing is null', expr: { var: 'parent.variables.morale' }, expected: null },
  {
    name: 'structure reads its settlement',
    expr: { '>=': [{ var: 'parent.level' }, 3] },
    expected: true,
    data: tower,
    type: 'structure',
  },
  {
    name: 'structure reads its settlement variable',
    expr: { var: 'parent.variables.population' },
    expected: 1200,
    data: tower,
    type: 'structure',
  },
  // dependent computed fields (their values as the engine would supply them)
  { name: 'reads another computed field', expr: { '+': [{ var: 'computed.prosperity' }, 1] }, expected: 8 },
  { name: 'a missing computed field is null', expr: { var: 'computed.unknown' }, expected: null },
  // child aggregates (json-logic-js gets the equivalent reduce)
  {
    name: 'count children',
    expr: { count: ['structures'] },
    expected: 3,
    reference: { reduce: [{ var: 'structures' }, { '+': [{ var: 'accumulator' }, 1] }, 0] },
  },
  { name: 'sum of child levels', expr: { sum: ['structures', 'level'] }, expected: 7, reference: sumLevels },
  {
    name: 'sum over no children is 0',
    expr: { sum: ['structures', 'level'] },
    expected: 0,
    data: hamlet,
    reference: sumLevels,
  },
  {
    name: 'max of child levels',
    expr: { max_of: ['structures', 'level'] },
    expected: 4,
    reference: { max: [2, 4, 1] },
  },
  {
    name: 'min of child conditions',
    expr: { min_of: ['structures', 'condition'] },
    expected: 50,
    reference: { min: [80, 50, 100] },
  },
  {
    name: 'avg of child conditions',
    expr: { avg: ['structures', 'condition'] },
    expected: 230 / 3,
    reference: { '/': [{ '+': [80, 50, 100] }, 3] },
  },
  {
    name: 'sum of a child variable skips the absent',
    expr: { sum: ['structures', 'variables.workers'] },
    expected: 8,
    reference: { '+': [5, 3] },
  },
  {
    name: 'count where a child variable is set',
    expr: { count: ['structures', 'variables.workers'] },
    expected: 2,
    reference: { '+': [1, 1] },
  },
  {
    name: 'avg of nothing is null',
    expr: { avg: ['structures', 'level'] },
    expected: null,
    data: hamlet,
    reference: { if: [false, 1] },
  },
  {
    name: 'aggregate in a condition',
    expr: { if: [{ '>=': [{ sum: ['structures', 'level'] }, 5] }, 'thriving', 'struggling'] },
    expected: 'thriving',
    reference: { if: [{ '>=': [sumLevels, 5] }, 'thriving', 'struggling'] },
  },
];

describe('expression semantics, against json-logic-js', () => {
  it('has at least 60 cases', () => expect(cases.length).toBeGreaterThanOrEqual(60));
  it.each(cases)('$name', ({ expr, expected, data = town, type = 'settlement', reference }) => {
    const ours = compileRule(expr, type).evaluate(plainSubject(data));
    expect(ours).toEqual(expected);
    const theirs = jsonLogic.apply((reference ?? expr) as never, structuredClone(data) as never);
    expect(theirs).toEqual(ours);
  });
});
