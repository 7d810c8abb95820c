// The rules engine measured in one process: cached lookups through the evaluator, and uncached evaluation of a
// compiled rule against json-logic-js interpreting the same expression over the same data. `npm run bench --
// --only rules` runs this file as a child process and reads the JSON it prints; run alone:
// `node rules-service/dist/bench/engine-bench.js [--ms 1000]`.
import { parseArgs } from 'node:util';
import jsonLogic from 'json-logic-js';
import NodeCache from 'node-cache';
import type { AnyEvent, EventData } from '@cm/contracts';
import { ResultCache } from '../cache/result-cache.js';
import { compileRule } from '../engine/compile.js';
import { plainSubject, type PlainEntity } from '../engine/plain-subject.js';
import { Evaluator } from '../evaluator.js';
import { RulesState } from '../rules-state.js';

const { values } = parseArgs({ options: { ms: { type: 'string', default: '1000' } } });
const budgetMs = Number(values.ms);

/** One measured operation: `op(i)` for i = 0, 1, ..., run in rounds of `batch` between clock reads. */
interface Timed {
  op: (i: number) => unknown;
  batch: number;
}

/**
 * Ops per second of `subject` and of its raw limit `reference`, measured in alternating slices of ~20 ms each
 * over `budgetMs` per side (after a warm-up of half of it). On a machine shared with other work the load moves
 * within a second; alternating slices expose both sides to the same load, so their ratio means something even
 * when the absolute figures do not.
 */
function paired(subject: Timed, reference: Timed): [number, number] {
  let sink: unknown;
  const warmUntil = performance.now() + budgetMs / 2;
  for (let i = 0; performance.now() < warmUntil; i++) sink = [subject.op(i), reference.op(i)];
  const sides = [subject, reference].map((t) => ({ ...t, n: 0, ms: 0 }));
  while (sides.some((s) => s.ms < budgetMs)) {
    for (const s of sides) {
      const started = performance.now();
      let now = started;
      while (now - started < 20) {
        for (let i = 0; i < s.batch; i++) sink = s.op(s.n + i);
        s.n += s.batch;
        now = performance.now();
      }
      s.ms += now - started;
    }
  }
  if (sink === Symbol.for('never')) process.stdout.write('');
  const [a, b] = sides.map((s) => Math.round((s.n / s.ms) * 1000));
  return [a!, b!];
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
  const [compiled, reference] = paired(
    { op: () => rule.evaluate(subject), batch: 1_000 },
    { op: () => jsonLogic.apply(expression, doc), batch: 100 },
  );
  return { compiled, jsonLogicJs: reference, speedup: Math.round((compiled / reference) * 10) / 10 };
}

/** A value as the service receives it: decoded from JSON, whose short strings V8 interns. */
const asReceived = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * A branch with 1,000 settlements and one condition, every result cached, read through the evaluator; beside it
 * node-cache's own get over 1,000 keys shaped like ours: the ceiling of any cached lookup in this process. Events
 * and requests go through JSON as they do in the service: ids built here by template literals are not interned,
 * and every lookup of one in a Map then compares characters instead of pointers (a third of this row's time).
 */
function cached() {
  const state = new RulesState(new ResultCache({ maxKeys: 10_000, ttlSeconds: 300, checkPeriodSeconds: 0 }));
  const at = { campaignId: 'c1', branchId: 'main' };
  const ev = <T extends AnyEvent['type']>(
    type: T,
    entityType: AnyEvent['entityType'],
    entityId: string,
    data: EventData<T>,
  ) =>
    asReceived({
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
  const requests = asReceived(
    Array.from({ length: 10 }, (_, r) => ({
      ...at,
      entities: Array.from({ length: 100 }, (_, i) => ({
        entityType: 'settlement' as const,
        entityId: `s${r * 100 + i}`,
      })),
      fields: ['big'],
    })),
  );
  for (const r of requests) evaluator.evaluate(r);
  const [hits, misses] = [state.cache.hits, state.cache.misses];
  const raw = new NodeCache({ stdTTL: 300, checkperiod: 0, maxKeys: 10_000, useClones: false });
  const keys = Array.from({ length: 1000 }, (_, i) => ResultCache.key('c1', 'main', 'settlement', `s${i}`, 'big'));
  for (const k of keys) raw.set(k, { field: 'big', value: true });
  const [requestsPerSecond, rawNodeCacheGet] = paired(
    { op: (i) => evaluator.evaluate(requests[i % 10]!), batch: 10 },
    { op: (i) => raw.get(keys[i % 1000]!), batch: 1_000 },
  );
  const result = {
    rawNodeCacheGet,
    perSecond: requestsPerSecond * 100,
    hitRate: (state.cache.hits - hits) / (state.cache.hits - hits + state.cache.misses - misses),
  };
  state.cache.close();
  raw.close();
  return result;
}

const { rawNodeCacheGet, ...cachedFigures } = cached();
const out = {
  budgetMs,
  rawNodeCacheGet,
  cached: cachedFigures,
  uncached2: uncached(twoOps),
  uncached20: uncached(twentyOps),
};
process.stdout.write(`${JSON.stringify(out)}\n`);
