import {
  AGGREGATE_OPERATORS,
  analyzeExpression,
  RULE_ENTITIES,
  type RuleEntityShape,
  RuleErrorCode,
  SCOPED_OPERATORS,
  type ExpressionDeps,
  type OwnerType,
} from '@cm/contracts';
import { aggregate } from './aggregates.js';
import {
  DEFAULT_LIMITS,
  EvaluationContext,
  RuleEvaluationError,
  truthy,
  type EvaluationLimits,
  type RuleSubject,
} from './evaluation.js';
import { literal } from './binary-operators.js';
import { operators, type Fn } from './operators.js';

/** A field-condition expression compiled once into a tree of closures. */
export interface CompiledRule {
  deps: ExpressionDeps;
  evaluate(subject: RuleSubject, limits?: EvaluationLimits): unknown;
}

type Scope = 'entity' | 'item';
interface Compiler {
  shape: RuleEntityShape;
}

/**
 * Validates `expression` for `entityType` (throws `VALIDATION` naming the bad operator or path) and compiles it.
 *
 * Why closures rather than `new Function` over generated source: no text derived from user input is ever
 * executed, so there is nothing to escape and no injection to get wrong; V8 inlines these small monomorphic
 * closures, and paths are split and classified here, once, so an evaluation only walks the tree (docs/perf.md
 * has the figures against json-logic-js).
 */
export function compileRule(expression: unknown, entityType: OwnerType): CompiledRule {
  const deps = analyzeExpression(expression, entityType);
  const root = compileNode({ shape: RULE_ENTITIES[entityType] }, expression, 'entity');
  const rootCost = costOf(expression);
  return {
    deps,
    evaluate(subject, limits = DEFAULT_LIMITS) {
      const c = new EvaluationContext(subject, limits);
      // The tree once, up front; loops and data-sized operators spend the rest as they go (see costOf).
      c.spend(rootCost);
      return root(c, undefined);
    },
  };
}

/**
 * The static size of an expression: every operator and literal node. Operation counting charges this once per
 * evaluation of the tree and once per element for a loop body, instead of ticking in every node: the count stays
 * an upper bound of the work (short-circuits only make it conservative) at no cost per operator.
 */
export function costOf(node: unknown): number {
  let n = 0;
  const stack = [node];
  while (stack.length > 0) {
    const x = stack.pop();
    n++;
    if (x === null || typeof x !== 'object') continue;
    if (Array.isArray(x)) stack.push(...x);
    else stack.push(...Object.values(x));
  }
  return n;
}

function compileNode(k: Compiler, node: unknown, scope: Scope): Fn {
  if (node === null || typeof node !== 'object') return literal(node);
  if (Array.isArray(node)) {
    const items = node.map((n) => compileNode(k, n, scope));
    return (c, d) => items.map((f) => f(c, d));
  }
  const op = Object.keys(node)[0]!;
  const raw = (node as Record<string, unknown>)[op];
  const args = Array.isArray(raw) ? raw : [raw];
  if (op === 'var')
    return compileVar(
      k,
      args[0] as string | number,
      args.length > 1 ? compileNode(k, args[1], scope) : undefined,
      scope,
    );
  if (op === 'missing' || op === 'missing_some') return compileMissing(k, op, args, scope);
  if ((AGGREGATE_OPERATORS as readonly string[]).includes(op)) {
    const [collection, path] = args as [string, string | undefined];
    return (c) => aggregate(op as (typeof AGGREGATE_OPERATORS)[number], c, collection, path);
  }
  const fns = args.map((a, i) => compileNode(k, a, SCOPED_OPERATORS.has(op) && i === 1 ? 'item' : scope));
  const build = operators[op];
  if (!build) throw new RuleEvaluationError(RuleErrorCode.EVALUATION, `no implementation for operator ${op}`);
  return build(fns, SCOPED_OPERATORS.has(op) ? costOf(args[1]) : 0);
}

const notFound = (fallback: Fn | undefined, c: EvaluationContext, d: unknown) => (fallback ? fallback(c, d) : null);

/** Reads `segments` below `value` by own properties only (no prototype walk), as `var` does inside elements. */
function descend(value: unknown, segments: readonly string[]): unknown {
  let data = value;
  for (const s of segments) {
    if (data === null || data === undefined) return undefined;
    if (typeof data === 'string') data = s === 'length' ? data.length : data[Number(s)];
    else if (typeof data === 'object' && Object.hasOwn(data, s)) data = (data as Record<string, unknown>)[s];
    else return undefined;
  }
  return data;
}

function compileVar(k: Compiler, path: string | number, fallback: Fn | undefined, scope: Scope): Fn {
  const segments = path === '' ? [] : String(path).split('.');
  if (scope === 'entity' && !fallback) {
    const direct = entityRead(k, segments);
    if (direct) return direct;
  }
  const read =
    scope === 'item' ? (c: EvaluationContext, d: unknown) => descend(d, segments) : entityReader(k, segments);
  return (c, d) => {
    const v = read(c, d);
    // As in json-logic-js, only an absent value takes the default; a present null stays null.
    return v === undefined ? notFound(fallback, c, d) : v;
  };
}

/**
 * A `var` without a default on the entity's own fields, variables or its parent's: one closure that reads the
 * subject and turns absent into null, instead of a generic wrapper calling a reader (a call site shared by every
 * `var` of the process, which V8 then cannot inline). Undefined for the other paths.
 */
function entityRead(k: Compiler, [head, second, third, ...more]: string[]): Fn | undefined {
  if (head === undefined || head in k.shape.children || head === 'computed') return undefined;
  if (head === 'variables' && third === undefined)
    return (c) => {
      const v = c.subject.variable(second!);
      return v === undefined ? null : v;
    };
  if (head === 'parent' && second === 'variables' && more.length === 0)
    return (c) => {
      const v = c.subject.parentVariable(third!);
      return v === undefined ? null : v;
    };
  if (head === 'parent' && third === undefined)
    return (c) => {
      const v = c.subject.parentField(second!);
      return v === undefined ? null : v;
    };
  if (second === undefined)
    return (c) => {
      const v = c.subject.field(head);
      return v === undefined ? null : v;
    };
  return undefined;
}

/** The reader of an entity-scope path, chosen once from its first segment (the validator vouched for its shape). */
function entityReader(k: Compiler, segments: string[]): (c: EvaluationContext, d: unknown) => unknown {
  const [head, second, third] = segments;
  if (head === 'variables') return (c) => c.subject.variable(second!);
  if (head === 'computed') return (c) => c.subject.computed(second!);
  if (head === 'parent')
    return second === 'variables' ? (c) => c.subject.parentVariable(third!) : (c) => c.subject.parentField(second!);
  if (!(head! in k.shape.children)) return (c) => c.subject.field(head!);
  const rest = segments.slice(1);
  return (c) => {
    const children = c.subject.children(head!);
    c.checkArray(children.length, head!);
    return descend(children, rest);
  };
}

function compileMissing(k: Compiler, op: 'missing' | 'missing_some', args: unknown[], scope: Scope): Fn {
  const list = (op === 'missing' ? (Array.isArray(args[0]) ? args[0] : args) : args[1]) as (string | number)[];
  const readers = list.map((p) => ({ path: p, read: compileVar(k, p, undefined, scope) }));
  const need = op === 'missing_some' ? (args[0] as number) : 0;
  return (c, d) => {
    const missing: (string | number)[] = [];
    for (const { path, read } of readers) {
      const v = read(c, d);
      if (v === null || v === '') missing.push(path);
    }
    if (op === 'missing_some') return list.length - missing.length >= need ? [] : missing;
    return missing;
  };
}

export { truthy };
