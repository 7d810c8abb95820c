import type { EvaluationContext } from './evaluation.js';

/** A compiled node: `d` is the current array element inside `map`/`filter`/... and unused at entity scope. */
export type Fn = (c: EvaluationContext, d: unknown) => unknown;
type Binary = (a: Fn, b: Fn, literal: { value: unknown } | undefined) => Fn;

/** Compiled literals and their values: an operator may read a literal operand once, at compile time. */
const LITERALS = new WeakMap<Fn, { value: unknown }>();

/** The node of a literal (anything but an operation or an array). */
export function literal(value: unknown): Fn {
  const fn: Fn = () => value;
  LITERALS.set(fn, { value });
  return fn;
}

/** json-logic-js's parseFloat, without the round trip through a string for what already is a number. */
export const num = (v: unknown): number => (typeof v === 'number' ? (v === 0 ? 0 : v) : parseFloat(v as string));

const absent: Fn = () => undefined;

/**
 * Wraps a two-argument operator: the missing operand reads as undefined, and a literal right operand (`> 1000`,
 * the usual shape of a condition) is passed on so the operator can fold it in.
 */
const two =
  (build: Binary) =>
  (args: Fn[]): Fn => {
    const [a = absent, b = absent] = args;
    return build(a, b, LITERALS.get(b));
  };

// Each operator is written out with its own closures rather than built by one generic `binary(f)`: V8 keeps call
// feedback per function literal, so a shared literal calling `f(a(), b())` sees every operator at one call site
// and inlines none of them. A literal right operand is read once here instead of being called per evaluation.
export const binaryOperators = {
  '==': two((a, b, k) => {
    if (k) {
      const y = k.value;
      return (c, d) => a(c, d) == y;
    }
    return (c, d) => a(c, d) == b(c, d);
  }),
  '===': two((a, b, k) => {
    if (k) {
      const y = k.value;
      return (c, d) => a(c, d) === y;
    }
    return (c, d) => a(c, d) === b(c, d);
  }),
  '!=': two((a, b, k) => {
    if (k) {
      const y = k.value;
      return (c, d) => a(c, d) != y;
    }
    return (c, d) => a(c, d) != b(c, d);
  }),
  '!==': two((a, b, k) => {
    if (k) {
      const y = k.value;
      return (c, d) => a(c, d) !== y;
    }
    return (c, d) => a(c, d) !== b(c, d);
  }),
  '>': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) > y;
    }
    return (c, d) => (a(c, d) as number) > (b(c, d) as number);
  }),
  '>=': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) >= y;
    }
    return (c, d) => (a(c, d) as number) >= (b(c, d) as number);
  }),
  '<': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) < y;
    }
    return (c, d) => (a(c, d) as number) < (b(c, d) as number);
  }),
  '<=': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) <= y;
    }
    return (c, d) => (a(c, d) as number) <= (b(c, d) as number);
  }),
  '%': two((a, b) => (c, d) => (a(c, d) as number) % (b(c, d) as number)),
  '/': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) / y;
    }
    return (c, d) => (a(c, d) as number) / (b(c, d) as number);
  }),
  '-': two((a, b, k) => {
    if (k) {
      const y = k.value as number;
      return (c, d) => (a(c, d) as number) - y;
    }
    return (c, d) => (a(c, d) as number) - (b(c, d) as number);
  }),
  '+': two((a, b, k) => {
    if (k) {
      const y = num(k.value);
      return (c, d) => num(a(c, d)) + y;
    }
    return (c, d) => num(a(c, d)) + num(b(c, d));
  }),
} satisfies Record<string, (args: Fn[]) => Fn>;
