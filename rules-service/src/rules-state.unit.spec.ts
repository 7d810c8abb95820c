import { beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent, OwnerType } from '@cm/contracts';
import { ResultCache } from './cache/result-cache.js';
import { Evaluator } from './evaluator.js';
import { condition, event, world } from './events.test-util.js';
import { RulesState } from './rules-state.js';

let state: RulesState;
let evaluator: Evaluator;
let seq = 0;

const apply = (...events: AnyEvent[]) => {
  for (const e of events) state.applyCommit([e], ++seq);
};
const fieldsOf = (entityType: OwnerType, entityId: string, fields?: string[]) =>
  Object.fromEntries(
    evaluator
      .evaluate({ campaignId: 'c1', branchId: 'main', entities: [{ entityType, entityId }], fields })[0]!
      .fields.map((f) => [f.field, f.error ? f.error.code : f.value]),
  );
/** Evaluates everything the tests look at, so that every result is cached. */
const warm = () => {
  for (const s of ['s1', 's2']) fieldsOf('settlement', s);
  for (const st of ['st1', 'st2', 'st3']) fieldsOf('structure', st);
};
const cached = () =>
  state.cache
    .keys()
    .map((k) => k.split('|').slice(3).join('.'))
    .sort();

const ALL = [
  's1.label',
  's1.rank',
  's1.taxes',
  's1.wealth',
  's2.label',
  's2.rank',
  's2.taxes',
  's2.wealth',
  'st1.grand',
  'st1.sturdy',
  'st2.grand',
  'st2.sturdy',
  'st3.grand',
  'st3.sturdy',
];
const without = (...gone: string[]) => ALL.filter((k) => !gone.includes(k));

beforeEach(() => {
  state?.cache.close();
  state = new RulesState(new ResultCache({ maxKeys: 10_000, ttlSeconds: 300, checkPeriodSeconds: 0 }));
  evaluator = new Evaluator(state);
  seq = 0;
  apply(...world());
});

describe('evaluation', () => {
  it('computes every field of an entity from facts, variables, parent and children', () => {
    expect(fieldsOf('settlement', 's1')).toEqual({ wealth: 6, taxes: 100, rank: 'city', label: 'Millbrook!' });
    expect(fieldsOf('settlement', 's2')).toEqual({ wealth: 1, taxes: 10, rank: 'village', label: 'Hamlet!' });
    expect(fieldsOf('structure', 'st1')).toEqual({ sturdy: true, grand: true });
    expect(fieldsOf('structure', 'st3')).toEqual({ sturdy: true, grand: false });
  });
  it('answers an unknown entity as not found', () => {
    expect(
      evaluator.evaluate({
        campaignId: 'c1',
        branchId: 'main',
        entities: [{ entityType: 'settlement', entityId: 'nope' }],
      })[0],
    ).toMatchObject({ found: false, fields: [] });
  });
  it('lets the higher priority win, and an entity-specific condition win a tie', () => {
    apply(condition('fc-l2', 'settlement', 'label', { cat: ['type-wide at 5'] }, { priority: 5 }));
    expect(fieldsOf('settlement', 's1', ['label'])).toEqual({ label: 'type-wide at 5' });
    apply(condition('fc-l3', 'settlement', 'label', { cat: ['only s1'] }, { entityId: 's1', priority: 5 }));
    expect(fieldsOf('settlement', 's1', ['label'])).toEqual({ label: 'only s1' });
    expect(fieldsOf('settlement', 's2', ['label'])).toEqual({ label: 'type-wide at 5' });
  });
  it('ignores an inactive condition, even at a higher priority', () => {
    apply(condition('fc-l4', 'settlement', 'label', { cat: ['inactive'] }, { priority: 99, active: false }));
    expect(fieldsOf('settlement', 's1', ['label'])).toEqual({ label: 'Millbrook!' });
  });
  it('answers no value for a field whose only condition is inactive', () => {
    apply(condition('fc-x', 'settlement', 'ghost', { cat: ['x'] }, { active: false }));
    expect(fieldsOf('settlement', 's1', ['ghost'])).toEqual({});
  });
  it('marks a cycle through other computed fields with RULE_CYCLE and keeps the rest', () => {
    apply(
      condition('fc-a', 'settlement', 'a', { var: 'computed.b' }),
      condition('fc-b', 'settlement', 'b', { '+': [{ var: 'computed.a' }, 1] }),
    );
    expect(fieldsOf('settlement', 's1', ['a', 'b', 'wealth'])).toEqual({ a: 'RULE_CYCLE', b: 'RULE_CYCLE', wealth: 6 });
  });
  it('counts no cycle through an inactive condition: the field it would define reads as absent', () => {
    apply(
      condition('fc-a', 'settlement', 'a', { var: ['computed.b', 'no b'] }),
      condition('fc-b', 'settlement', 'b', { var: 'computed.a' }, { active: false }),
    );
    expect(fieldsOf('settlement', 's1', ['a', 'b'])).toEqual({ a: 'no b' });
  });
  it('reads a missing variable as null without throwing', () => {
    apply(condition('fc-m', 'settlement', 'morale', { var: ['variables.morale', 'unknown'] }));
    expect(fieldsOf('settlement', 's1', ['morale'])).toEqual({ morale: 'unknown' });
  });
  it('never reads what a plain object inherits: a variable called toString is absent', () => {
    apply(
      condition('fc-t', 'settlement', 'inherited', {
        cat: [{ var: ['variables.toString', 'none'] }, '/', { var: ['variables.hasOwnProperty', 'none'] }],
      }),
    );
    expect(fieldsOf('settlement', 's1', ['inherited'])).toEqual({ inherited: 'none/none' });
  });
  it('cuts off an evaluation past the array bound with RULE_LIMIT, and serves the next field', () => {
    // Each step doubles the accumulator: 2^20 elements after 20, far past the bound of 10,000.
    const twenty = Array.from({ length: 20 }, (_, i) => i);
    const doubling = { reduce: [twenty, { merge: [{ var: 'accumulator' }, { var: 'accumulator' }] }, [1]] };
    apply(condition('fc-big', 'settlement', 'big', doubling));
    expect(fieldsOf('settlement', 's1', ['big', 'label'])).toEqual({ big: 'RULE_LIMIT', label: 'Millbrook!' });
  });
  it('cuts off an evaluation past the operation bound with RULE_LIMIT', () => {
    // 50 × 50 × 50 elements visited: past the 100,000 operations of one evaluation, from 150 literals.
    const fifty = Array.from({ length: 50 }, (_, i) => i);
    apply(condition('fc-ops', 'settlement', 'busy', { map: [fifty, { map: [fifty, { map: [fifty, 1] }] }] }));
    expect(fieldsOf('settlement', 's1', ['busy'])).toEqual({ busy: 'RULE_LIMIT' });
  });
});

describe('invalidation precision', () => {
  beforeEach(() => {
    warm();
    expect(cached()).toEqual(ALL);
  });
  it('a structure change drops its own reading results and its settlement aggregate', () => {
    apply(event('StructureConditionSet', { condition: 10 }, 'st2'));
    // st2.sturdy reads condition; s1.wealth aggregates structures, s1.rank reads wealth.
    expect(cached()).toEqual(without('st2.sturdy', 's1.wealth', 's1.rank'));
    expect(fieldsOf('structure', 'st2', ['sturdy'])).toEqual({ sturdy: false });
  });
  it('a structure level change drops its settlement wealth and rank, and the next read is new', () => {
    apply(event('StructureLevelSet', { level: 0 }, 'st2'));
    expect(cached()).toEqual(without('s1.wealth', 's1.rank'));
    expect(fieldsOf('settlement', 's1', ['wealth', 'rank'])).toEqual({ wealth: 2, rank: 'village' });
  });
  it('a settlement level change drops the structures that read parent.level, nothing of the settlement', () => {
    apply(event('SettlementLevelSet', { level: 1 }, 's1'));
    expect(cached()).toEqual(without('st1.grand', 'st2.grand'));
    expect(fieldsOf('structure', 'st1', ['grand'])).toEqual({ grand: false });
  });
  it('a rename drops only the label of that settlement', () => {
    apply(event('SettlementRenamed', { name: 'Millford' }, 's1'));
    expect(cached()).toEqual(without('s1.label'));
    expect(fieldsOf('settlement', 's1', ['label'])).toEqual({ label: 'Millford!' });
  });
  it('a variable change drops the fields that read it', () => {
    apply(
      event(
        'StateVariableSet',
        { ownerType: 'settlement', ownerId: 's2', key: 'population', value: { type: 'number', value: 500 } },
        'settlement~s2',
      ),
    );
    expect(cached()).toEqual(without('s2.taxes'));
    expect(fieldsOf('settlement', 's2', ['taxes'])).toEqual({ taxes: 50 });
  });
  it("a parent's variable change drops the children that read it", () => {
    apply(
      event(
        'StateVariableSet',
        { ownerType: 'kingdom', ownerId: 'k1', key: 'taxRate', value: { type: 'number', value: 0.5 } },
        'kingdom~k1',
      ),
    );
    expect(cached()).toEqual(without('s1.taxes', 's2.taxes'));
    expect(fieldsOf('settlement', 's1', ['taxes'])).toEqual({ taxes: 500 });
  });
  it('an unrelated variable drops nothing', () => {
    apply(
      event(
        'StateVariableSet',
        { ownerType: 'settlement', ownerId: 's1', key: 'motto', value: { type: 'string', value: 'hi' } },
        'settlement~s1',
      ),
    );
    expect(cached()).toEqual(ALL);
  });
  it('a new structure drops the aggregate of its settlement only', () => {
    apply(
      event(
        'StructureCreated',
        { settlementId: 's2', name: 'Inn', structureType: 'inn', level: 5, condition: 90 },
        'st4',
      ),
    );
    expect(cached()).toEqual(without('s2.wealth', 's2.rank'));
    expect(fieldsOf('settlement', 's2', ['wealth', 'rank'])).toEqual({ wealth: 6, rank: 'city' });
  });
  it('a deleted structure drops its results and its settlement aggregate', () => {
    apply(event('StructureDeleted', { settlementId: 's1' }, 'st1'));
    expect(cached()).toEqual(without('st1.grand', 'st1.sturdy', 's1.wealth', 's1.rank'));
    expect(fieldsOf('settlement', 's1', ['wealth'])).toEqual({ wealth: 4 });
  });
  it('a condition change drops that field across the branch, with the fields that read it', () => {
    apply(
      event(
        'FieldConditionUpdated',
        { field: 'wealth', expression: { count: ['structures'] }, priority: 0, active: true },
        'fc-wealth',
      ),
    );
    expect(cached()).toEqual(without('s1.wealth', 's2.wealth', 's1.rank', 's2.rank'));
    expect(fieldsOf('settlement', 's1', ['wealth'])).toEqual({ wealth: 2 });
  });
  it('a condition deleted drops its field', () => {
    apply(event('FieldConditionDeleted', {}, 'fc-sturdy'));
    expect(cached()).toEqual(without('st1.sturdy', 'st2.sturdy', 'st3.sturdy'));
    expect(fieldsOf('structure', 'st1')).toEqual({ grand: true });
  });
  it('an event in another branch drops nothing here, and a fork starts from the parent', () => {
    apply(event('BranchForked', { name: 'alt', parentBranchId: 'main', forkedAtSeq: seq }, 'alt'));
    apply(event('SettlementRenamed', { name: 'Elsewhere' }, 's1', { branchId: 'alt' }));
    expect(cached()).toEqual(ALL);
    const alt = evaluator.evaluate({
      campaignId: 'c1',
      branchId: 'alt',
      entities: [{ entityType: 'settlement', entityId: 's1' }],
      fields: ['label', 'wealth'],
    })[0]!;
    expect(alt.fields.map((f) => f.value)).toEqual(['Elsewhere!', 6]);
  });
});
