// The rules engine measured in one process: cached lookups through the evaluator, and uncached evaluation of a
// compiled rule against json-logic-js interpreting the same expression over the same data. `npm run bench --
// --only rules` runs this file as a child process and reads the JSON it prints; run alone:
// `node rules-service/dist/bench/engine-bench.js [--ms 1000]`.
import { parseArgs } from 'node:util';
import jsonLogic from 'json-logic-js';
import type { AnyEvent, EventData } from '@cm/contracts';
import { ResultCache } from '../cache/result-cache.js';
import { compileRule } from '../engine/compile.js';
import { plainSubject, type PlainEntity } from '../engine/plain-subject.js';
import { Evaluator } from '../evaluator.js';
import { RulesState } from '../rules-state.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1000' } } });
const budgetMs = Number(values.ms);

/** Runs `op` in rounds of `batch` until `budgetMs` has passed (after a warm-up of half of it); ops per second. */
function rate(op: (i: number) => unknown, batch = 10_000): number {
  let sink: unknown;
  const warmUntil = performance.now() + budgetMs / 2;
  for (let i = 0; performance.now() < warmUntil; i++) sink = op(i);
  let n = 0;
  const started = performance.now();
  let now = started;
  while (now - started < budgetMs) {
    for (let i = 0; i < batch; i++) sink = op(n + i);
    n += batch;
    now = performance.now();
  }
  if (sink === Symbol.for('never')) process.stdout.write('');
  return Math.round((n / (now - started)) * 1000);
}

const doc: PlainEntity = {
  id: 's1',
  name: 'Millbrook',
  level: 3,
  kingdomId: 'k1',
  locationId: 'l1',
  variables: { population: 1200, walled: true, morale: 7, gold: 340, tags: ['river', 'trade'] },
  parent: { id: 'k1', name: 'Avalon', variables: { taxDivisor: 10 } },
};

/** Two operators: `>` over a variable. */
const twoOps = { '>': [{ var: 'variables.population' }, 1000] };
/** Twenty operators: arithmetic, comparisons, logic, `if`, `in`, `cat` over fields, variables and the parent. */
const twentyOps = {
  if: [
    {
      and: [
        { '>=': [{ var: 'level' }, 3] },
        { '==': [{ var: 'variables.walled' }, true] },
        { in: ['river', { var: 'variables.tags' }] },
      ],
    },
    {
      cat: [
        { var: 'name' },
        ' pays ',
        { '/': [{ var: 'variables.population' }, { var: 'parent.variables.taxDivisor' }] },
      ],
    },
    { or: [{ '<': [{ var: 'variables.morale' }, 3] }, { '>': [{ '-': [{ var: 'variables.gold' }, 100] }, 200] }] },
    'solvent',
    'poor',
  ],
};

function uncached(expression: unknown) {
  const rule = compileRule(expression, 'settlement');
  const subject = plainSubject(doc);
  const ours = rule.evaluate(subject);
  const theirs = jsonLogic.apply(expression, doc);
  if (JSON.stringify(ours) !== JSON.stringify(theirs))
    throw new Error(`results differ: ${JSON.stringify(ours)} vs ${JSON.stringify(theirs)}`);
  const compiled = rate(() => rule.evaluate(subject));
  const reference = rate(() => jsonLogic.apply(expression, doc));
  return { compiled, jsonLogicJs: reference, speedup: Math.round((compiled / reference) * 10) / 10 };
}

/** A branch with 1,000 settlements and one condition, every result cached, read through the evaluator. */
function cached() {
  const state = new RulesState(new ResultCache({ maxKeys: 10_000, ttlSeconds: 300, checkPeriodSeconds: 0 }));
  const at = { campaignId: 'c1', branchId: 'main' };
  const ev = <T extends AnyEvent['type']>(
    type: T,
    entityType: AnyEvent['entityType'],
    entityId: string,
    data: EventData<T>,
  ) =>
    ({
      id: `${entityId}:${type}`,
      type,
      schemaVersion: 1,
      ...at,
      entityType,
      entityId,
      aggregateVersion: 1,
      data,
      metadata: {},
    }) as unknown as AnyEvent;
  let seq = 0;
  state.applyCommit([ev('KingdomCreated', 'kingdom', 'k1', { name: 'K' })], ++seq);
  for (let i = 0; i < 1000; i++)
    state.applyCommit(
      [
        ev('SettlementCreated', 'settlement', `s${i}`, {
          kingdomId: 'k1',
          locationId: 'l1',
          name: `S${i}`,
          level: i % 10,
        }),
      ],
      ++seq,
    );
  state.applyCommit(
    [
      ev('FieldConditionDefined', 'field-condition', 'fc', {
        entityType: 'settlement',
        entityId: null,
        field: 'big',
        expression: { '>': [{ var: 'level' }, 5] },
        priority: 0,
        active: true,
      }),
    ],
    ++seq,
  );
  const evaluator = new Evaluator(state);
  // Batches of 100 entities, as the query service's DataLoader sends one level of a list; each answers one field.
  const requests = Array.from({ length: 10 }, (_, r) => ({
    ...at,
    entities: Array.from({ length: 100 }, (_, i) => ({
      entityType: 'settlement' as const,
      entityId: `s${r * 100 + i}`,
    })),
    fields: ['big'],
  }));
  for (const r of requests) evaluator.evaluate(r);
  const [hits, misses] = [state.cache.hits, state.cache.misses];
  const perSecond = rate((i) => evaluator.evaluate(requests[i % 10]!), 100) * 100;
  const result = {
    perSecond,
    hitRate: (state.cache.hits - hits) / (state.cache.hits - hits + state.cache.misses - misses),
  };
  state.cache.close();
  return result;
}

/** node-cache's own get over 1,000 keys shaped like ours: the ceiling of any cached lookup in this process. */
function rawNodeCacheGet(): number {
  const cache = new ResultCache({ maxKeys: 10_000, ttlSeconds: 300, checkPeriodSeconds: 0 });
  const keys = Array.from({ length: 1000 }, (_, i) => ResultCache.key('c1', 'main', 'settlement', `s${i}`, 'big'));
  for (const k of keys) cache.set(k, { field: 'big', value: true });
  const perSecond = rate((i) => cache.get(keys[i % 1000]!));
  cache.close();
  return perSecond;
}

const out = {
  budgetMs,
  rawNodeCacheGet: rawNodeCacheGet(),
  cached: cached(),
  uncached2: uncached(twoOps),
  uncached20: uncached(twentyOps),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
