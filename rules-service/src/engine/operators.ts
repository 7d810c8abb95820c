import { binaryOperators, num, type Fn } from './binary-operators.js';
import type { EvaluationContext } from './evaluation.js';
import { truthy } from './evaluation.js';

export type { Fn };
/** `bodyCost`: the static size of a loop's body (its second argument), charged per element. */
type Build = (args: Fn[], bodyCost?: number) => Fn;

/** Evaluates every argument into an array. */
const eager =
  (f: (c: EvaluationContext, values: unknown[]) => unknown): Build =>
  (args) =>
  (c, d) => {
    const values = new Array<unknown>(args.length);
    for (let i = 0; i < args.length; i++) values[i] = args[i]!(c, d);
    return f(c, values);
  };

function arrayOf(c: EvaluationContext, v: unknown, what: string): unknown[] | undefined {
  if (!Array.isArray(v)) return undefined;
  c.checkArray(v.length, what);
  return v;
}

/** Runs `body` per element of the first argument's array, counting each element as an operation. */
const scoped =
  (
    onArray: (c: EvaluationContext, items: unknown[], body: Fn, d: unknown, rest: Fn[]) => unknown,
    otherwise: (c: EvaluationContext, d: unknown, rest: Fn[]) => unknown,
    what: string,
  ): Build =>
  ([source, body, ...rest], bodyCost = 1) =>
  (c, d) => {
    const items = arrayOf(c, source ? source(c, d) : undefined, what);
    if (!items) return otherwise(c, d, rest);
    c.spend(items.length * Math.max(1, bodyCost));
    return onArray(c, items, body ?? (() => null), d, rest);
  };

/**
 * The operators, with json-logic-js's semantics (the semantics table checks each against it): loose `==`,
 * `+` through parseFloat, `and`/`or` returning an operand, an empty array falsy. `log` and `method` are absent.
 */
export const operators: Record<string, Build> = {
  // Two-argument operators get closures without an argument array: most conditions are made of these.
  ...binaryOperators,
  '<': (args) =>
    args.length === 3
      ? eager((_, [a, b, x]) => (a as number) < (b as number) && (b as number) < (x as number))(args)
      : binaryOperators['<'](args),
  '<=': (args) =>
    args.length === 3
      ? eager((_, [a, b, x]) => (a as number) <= (b as number) && (b as number) <= (x as number))(args)
      : binaryOperators['<='](args),
  '!!':
    ([a]) =>
    (c, d) =>
      truthy(a ? a(c, d) : undefined),
  '!':
    ([a]) =>
    (c, d) =>
      !truthy(a ? a(c, d) : undefined),
  '-': (args) => (args.length === 1 ? eager((_, [a]) => -(a as number))(args) : binaryOperators['-'](args)),
  '+': (args) =>
    args.length === 2 ? binaryOperators['+'](args) : eager((_, vs) => vs.reduce<number>((s, v) => s + num(v), 0))(args),
  '*': eager((_, vs) => (vs.length === 0 ? undefined : vs.reduce((p, v) => num(p) * num(v)))),
  min: eager((c, vs) => (c.checkArray(vs.length, 'min'), Math.min(...(vs as number[])))),
  max: eager((c, vs) => (c.checkArray(vs.length, 'max'), Math.max(...(vs as number[])))),
  cat: (args) => (c, d) => {
    // Array.prototype.join's conversions (null and undefined become ''), without building the array.
    let s = '';
    for (const a of args) {
      const v = a(c, d);
      s += v === null || v === undefined ? '' : String(v);
    }
    c.spend(s.length >> 6);
    return c.checkString(s, 'cat');
  },
  substr: eager((c, [source, start, end]) => {
    const s = String(source);
    if ((end as number) < 0) {
      const tail = s.substr(start as number);
      return tail.substr(0, tail.length + (end as number));
    }
    return s.substr(start as number, end as number);
  }),
  in:
    ([x, y]) =>
    (c, d) => {
      const a = x ? x(c, d) : undefined;
      const b = y ? y(c, d) : undefined;
      if (typeof b !== 'string' && !Array.isArray(b)) return false;
      // A search is as long as what it searches: charged like a loop.
      c.spend(b.length);
      return (b as string).indexOf(a as string) !== -1;
    },
  merge: eager((c, vs) => {
    const out: unknown[] = [];
    for (const v of vs) {
      if (Array.isArray(v)) {
        c.checkArray(out.length + v.length, 'merge');
        for (const x of v) out.push(x);
      } else out.push(v);
    }
    c.checkArray(out.length, 'merge');
    c.spend(out.length);
    return out;
  }),
  if: (args) => (c, d) => {
    let i = 0;
    for (; i < args.length - 1; i += 2) if (truthy(args[i]!(c, d))) return args[i + 1]!(c, d);
    return args.length === i + 1 ? args[i]!(c, d) : null;
  },
  and: (args) => (c, d) => {
    let current: unknown;
    for (const a of args) {
      current = a(c, d);
      if (!truthy(current)) return current;
    }
    return current;
  },
  or: (args) => (c, d) => {
    let current: unknown;
    for (const a of args) {
      current = a(c, d);
      if (truthy(current)) return current;
    }
    return current;
  },
  filter: scoped(
    (c, items, body) => items.filter((x) => truthy(body(c, x))),
    () => [],
    'filter',
  ),
  map: scoped(
    (c, items, body) => items.map((x) => body(c, x)),
    () => [],
    'map',
  ),
  reduce: scoped(
    (c, items, body, d, [initial]) =>
      items.reduce((accumulator, current) => body(c, { current, accumulator }), initial ? initial(c, d) : null),
    (c, d, [initial]) => (initial ? initial(c, d) : null),
    'reduce',
  ),
  all: scoped(
    (c, items, body) => items.length > 0 && items.every((x) => truthy(body(c, x))),
    () => false,
    'all',
  ),
  none: scoped(
    (c, items, body) => !items.some((x) => truthy(body(c, x))),
    () => true,
    'none',
  ),
  some: scoped(
    (c, items, body) => items.some((x) => truthy(body(c, x))),
    () => false,
    'some',
  ),
};
operators['?:'] = operators.if!;
