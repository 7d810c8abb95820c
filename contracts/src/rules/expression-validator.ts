import type { OwnerType } from '../domain.js';
import { AppError, ErrorCode } from '../errors.js';
import { RULE_ENTITIES } from './rule-entities.js';

/**
 * The operators a field-condition expression may use: JSONLogic's own (as `json-logic-js` defines them) minus
 * `log` and `method` (calls into JavaScript), plus the child aggregates. Anything else is rejected at definition.
 */
export const JSON_LOGIC_OPERATORS = [
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  '==',
  '===',
  '!=',
  '!==',
  '!',
  '!!',
  'or',
  'and',
  '>',
  '>=',
  '<',
  '<=',
  'max',
  'min',
  '+',
  '-',
  '*',
  '/',
  '%',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
  'merge',
  'in',
  'cat',
  'substr',
] as const;

/** Child aggregates: `{"sum": ["structures", "level"]}`, `{"count": ["structures"]}`, `{"avg": ["structures", "variables.population"]}`. */
export const AGGREGATE_OPERATORS = ['count', 'sum', 'avg', 'min_of', 'max_of'] as const;
export type AggregateOperator = (typeof AGGREGATE_OPERATORS)[number];

export const RULE_OPERATORS: ReadonlySet<string> = new Set<string>([...JSON_LOGIC_OPERATORS, ...AGGREGATE_OPERATORS]);

/** Operators whose second argument runs once per array element, with `var` relative to that element. */
export const SCOPED_OPERATORS: ReadonlySet<string> = new Set(['map', 'filter', 'reduce', 'all', 'none', 'some']);

/** Definition-time bounds: deeper or larger expressions are rejected before anything walks them recursively. */
export const EXPRESSION_LIMITS = { maxDepth: 64, maxNodes: 2_000 } as const;

/** Path segments that would reach an object's prototype machinery. */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** What an expression reads, for invalidation: a cached result is dropped when one of these changes. */
export interface ExpressionDeps {
  /** The entity's own fields. */
  fields: string[];
  /** Its state variables (`variables.<key>`). */
  variables: string[];
  /** Its parent's fields (`parent.<field>`). */
  parentFields: string[];
  /** Its parent's variables (`parent.variables.<key>`). */
  parentVariables: string[];
  /** Child collections it aggregates or iterates (any change of a child counts). */
  collections: string[];
  /** Other computed fields of the same entity (`computed.<field>`). */
  computed: string[];
}

type Scope = 'entity' | 'item';
interface Frame {
  node: unknown;
  depth: number;
  scope: Scope;
  at: string;
}

function reject(message: string, details: Record<string, unknown>): never {
  throw new AppError(ErrorCode.VALIDATION, `invalid expression: ${message}`, details);
}

/**
 * Checks a JSONLogic expression for `entityType` and returns what it reads. Throws `VALIDATION` naming the bad
 * operator or path (with a JSON pointer `at`). Iterative, so a 10,000-deep expression is refused at depth 64
 * without recursing. Paths must be literals: a computed path would defeat both the prototype check and the
 * dependency analysis that invalidation relies on.
 */
export function analyzeExpression(expression: unknown, entityType: OwnerType): ExpressionDeps {
  if (expression === null || typeof expression !== 'object' || Array.isArray(expression)) {
    reject('must be a JSONLogic operation object', { at: '' });
  }
  const deps = {
    fields: new Set<string>(),
    variables: new Set<string>(),
    parentFields: new Set<string>(),
    parentVariables: new Set<string>(),
    collections: new Set<string>(),
    computed: new Set<string>(),
  };
  const stack: Frame[] = [{ node: expression, depth: 1, scope: 'entity', at: '' }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, depth, scope, at } = stack.pop()!;
    if (++nodes > EXPRESSION_LIMITS.maxNodes)
      reject(`more than ${EXPRESSION_LIMITS.maxNodes} nodes`, { at, limit: EXPRESSION_LIMITS.maxNodes });
    if (depth > EXPRESSION_LIMITS.maxDepth)
      reject(`nested deeper than ${EXPRESSION_LIMITS.maxDepth}`, { at, limit: EXPRESSION_LIMITS.maxDepth });
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((child, i) => stack.push({ node: child, depth: depth + 1, scope, at: `${at}/${i}` }));
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length !== 1) reject(`an operation has exactly one operator, found ${keys.length} keys`, { at });
    const op = keys[0]!;
    if (!RULE_OPERATORS.has(op)) reject(`unknown operator "${op}"`, { at, operator: op });
    const raw = (node as Record<string, unknown>)[op];
    const args = Array.isArray(raw) ? raw : [raw];
    const here = `${at}/${op.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (op === 'var') {
      checkPath(args[0], scope, entityType, deps, here, 'var');
      if (args.length > 2) reject('var takes a path and an optional default', { at: here, operator: op });
      if (args.length === 2) stack.push({ node: args[1], depth: depth + 1, scope, at: `${here}/1` });
      continue;
    }
    if (op === 'missing' || op === 'missing_some') {
      const list = op === 'missing' ? (Array.isArray(args[0]) ? args[0] : args) : args[1];
      if (op === 'missing_some' && typeof args[0] !== 'number')
        reject('missing_some needs a literal count', { at: here, operator: op });
      if (!Array.isArray(list)) reject(`${op} needs a literal list of paths`, { at: here, operator: op });
      for (const p of list) checkPath(p, scope, entityType, deps, here, op);
      continue;
    }
    if ((AGGREGATE_OPERATORS as readonly string[]).includes(op)) {
      checkAggregate(op, args, scope, entityType, deps, here);
      continue;
    }
    args.forEach((child, i) => {
      const childScope: Scope = SCOPED_OPERATORS.has(op) && i === 1 ? 'item' : scope;
      stack.push({ node: child, depth: depth + 1, scope: childScope, at: `${here}/${i}` });
    });
  }
  return {
    fields: [...deps.fields],
    variables: [...deps.variables],
    parentFields: [...deps.parentFields],
    parentVariables: [...deps.parentVariables],
    collections: [...deps.collections],
    computed: [...deps.computed],
  };
}

type DepSets = { [K in keyof ExpressionDeps]: Set<string> };

function checkPath(path: unknown, scope: Scope, entityType: OwnerType, deps: DepSets, at: string, op: string): void {
  if (typeof path === 'number' && Number.isInteger(path) && path >= 0 && scope === 'item') return;
  if (typeof path !== 'string') reject(`${op} needs a literal path`, { at, operator: op });
  const segments = path === '' ? [] : path.split('.');
  const bad = segments.find((s) => FORBIDDEN_SEGMENTS.has(s));
  if (bad !== undefined) reject(`path "${path}" uses the forbidden segment "${bad}"`, { at, path });
  if (scope === 'item') return;
  const shape = RULE_ENTITIES[entityType];
  const [head, second, third] = segments;
  const fail = (why: string): never => reject(`path "${path}" ${why}`, { at, path });
  if (head === undefined) return fail('is empty: the whole entity is not addressable');
  if (head === 'variables') {
    if (segments.length !== 2 || !KEY.test(second!)) fail('must be variables.<key>');
    deps.variables.add(second!);
  } else if (head === 'computed') {
    if (segments.length !== 2 || !KEY.test(second!)) fail('must be computed.<field>');
    deps.computed.add(second!);
  } else if (head === 'parent') {
    if (!shape.parent) fail(`reads a parent, but a ${entityType} has none`);
    const parent = RULE_ENTITIES[shape.parent!];
    if (second === 'variables') {
      if (segments.length !== 3 || !KEY.test(third!)) fail('must be parent.variables.<key>');
      deps.parentVariables.add(third!);
    } else {
      if (segments.length !== 2 || !parent.fields.includes(second!))
        fail(`names no field of a ${shape.parent} (${parent.fields.join(', ')})`);
      deps.parentFields.add(second!);
    }
  } else if (head in shape.children) {
    deps.collections.add(head);
  } else if (shape.fields.includes(head)) {
    if (segments.length !== 1) fail(`goes inside the scalar field ${head}`);
    deps.fields.add(head);
  } else {
    fail(
      `names nothing a ${entityType} has (fields: ${shape.fields.join(', ')}; variables.<key>, computed.<field>${shape.parent ? ', parent.<field>' : ''}${Object.keys(shape.children).length ? `, ${Object.keys(shape.children).join(', ')}` : ''})`,
    );
  }
}

function checkAggregate(
  op: string,
  args: unknown[],
  scope: Scope,
  entityType: OwnerType,
  deps: DepSets,
  at: string,
): void {
  if (scope !== 'entity')
    reject(`${op} aggregates the entity's children and cannot run per element`, { at, operator: op });
  const [collection, path] = args;
  const shape = RULE_ENTITIES[entityType];
  if (typeof collection !== 'string' || !(collection in shape.children)) {
    reject(
      `${op} needs a child collection of a ${entityType} (${Object.keys(shape.children).join(', ') || 'it has none'})`,
      { at, operator: op },
    );
  }
  if (args.length > 2) reject(`${op} takes a collection and a path`, { at, operator: op });
  deps.collections.add(collection as string);
  if (path === undefined && op === 'count') return;
  const child = RULE_ENTITIES[shape.children[collection as string]!];
  const segments = typeof path === 'string' ? path.split('.') : [];
  const ok =
    (segments.length === 1 && child.fields.includes(segments[0]!)) ||
    (segments.length === 2 && segments[0] === 'variables' && KEY.test(segments[1]!));
  if (!ok)
    reject(`${op} over ${collection} needs a literal child field (${child.fields.join(', ')}) or variables.<key>`, {
      at,
      operator: op,
      path,
    });
}

/**
 * The first cycle among computed fields of one entity type (field → the computed fields its expression reads),
 * as the list of fields around it, or null. A field reading itself is a cycle of one.
 */
export function findComputedCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  for (const start of graph.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: the path is the stack of fields currently open.
    const path: string[] = [];
    const iters: Iterator<string>[] = [];
    const enter = (f: string) => {
      state.set(f, 'open');
      path.push(f);
      iters.push((graph.get(f) ?? [])[Symbol.iterator]());
    };
    enter(start);
    while (iters.length > 0) {
      const next = iters.at(-1)!.next();
      if (next.done) {
        state.set(path.pop()!, 'done');
        iters.pop();
        continue;
      }
      const f = next.value;
      if (state.get(f) === 'open') return [...path.slice(path.indexOf(f)), f];
      if (!state.has(f) && graph.has(f)) enter(f);
    }
  }
  return null;
}

/**
 * The cycle among computed fields of one entity type that passes through `field` (field → the computed fields
 * its expression reads), as `[field, …, field]`, or null. Unlike `findComputedCycle` it ignores cycles elsewhere
 * in the graph: a definition is refused only for a cycle it takes part in.
 */
export function findComputedCycleThrough(
  graph: ReadonlyMap<string, readonly string[]>,
  field: string,
): string[] | null {
  // Depth-first from `field`; a path that comes back to it is the cycle. Each field is expanded once.
  const seen = new Set<string>([field]);
  const path: string[] = [field];
  const iters: Iterator<string>[] = [(graph.get(field) ?? [])[Symbol.iterator]()];
  while (iters.length > 0) {
    const next = iters.at(-1)!.next();
    if (next.done) {
      iters.pop();
      path.pop();
      continue;
    }
    const f = next.value;
    if (f === field) return [...path, field];
    if (seen.has(f) || !graph.has(f)) continue;
    seen.add(f);
    path.push(f);
    iters.push(graph.get(f)![Symbol.iterator]());
  }
  return null;
}

/** Validates a definition: the expression, and that it does not read its own field back. */
export function validateFieldCondition(def: {
  entityType: OwnerType;
  field: string;
  expression: unknown;
}): ExpressionDeps {
  const deps = analyzeExpression(def.expression, def.entityType);
  if (deps.computed.includes(def.field)) {
    throw new AppError(
      ErrorCode.VALIDATION,
      `invalid expression: computed field ${def.field} reads itself (cycle ${def.field} → ${def.field})`,
      {
        path: `computed.${def.field}`,
        cycle: [def.field, def.field],
      },
    );
  }
  return deps;
}
