import { RuleErrorCode } from '@cm/contracts';

/** Per-evaluation bounds: a hostile or careless expression is cut off instead of taking the process with it. */
export interface EvaluationLimits {
  /** Operations (operator nodes evaluated, array elements visited) per evaluation of one field. */
  maxOps: number;
  /** Elements of any array an operator reads or builds (a child collection included). */
  maxArray: number;
  /** Characters of any string `cat` or `substr` builds. */
  maxString: number;
}

export const DEFAULT_LIMITS: EvaluationLimits = { maxOps: 100_000, maxArray: 10_000, maxString: 100_000 };

/** A child as an expression sees it inside `map`/`filter`/...: its fields and its `variables`. */
export type ChildView = Readonly<Record<string, unknown>>;

/**
 * What an expression reads of the entity it computes, resolved by the caller (the fact store in the service, a
 * plain object in the semantics table). `undefined` means absent: `var` then yields its default or null.
 */
export interface RuleSubject {
  field(name: string): unknown;
  variable(key: string): unknown;
  parentField(name: string): unknown;
  parentVariable(key: string): unknown;
  children(collection: string): readonly ChildView[];
  computed(field: string): unknown;
}

/** A coded failure of one evaluation; it never escapes the batch that asked (that field gets the code). */
export class RuleEvaluationError extends Error {
  constructor(
    readonly code: RuleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RuleEvaluationError';
  }
}

/** The mutable state of one evaluation: the subject and the operations spent so far. */
export class EvaluationContext {
  ops = 0;
  constructor(
    readonly subject: RuleSubject,
    readonly limits: EvaluationLimits,
  ) {}

  /** Counts `n` operations; throws `RULE_LIMIT` past the bound. */
  spend(n = 1): void {
    this.ops += n;
    if (this.ops > this.limits.maxOps)
      throw new RuleEvaluationError(RuleErrorCode.LIMIT, `more than ${this.limits.maxOps} operations`);
  }

  checkArray(length: number, what: string): void {
    if (length > this.limits.maxArray)
      throw new RuleEvaluationError(
        RuleErrorCode.LIMIT,
        `${what}: array of ${length} elements exceeds ${this.limits.maxArray}`,
      );
  }

  checkString(s: string, what: string): string {
    if (s.length > this.limits.maxString)
      throw new RuleEvaluationError(
        RuleErrorCode.LIMIT,
        `${what}: string of ${s.length} characters exceeds ${this.limits.maxString}`,
      );
    return s;
  }
}

/** JSONLogic truthiness: an empty array is false, everything else as in JavaScript. */
export const truthy = (v: unknown): boolean => (Array.isArray(v) && v.length === 0 ? false : !!v);

/**
 * `o[k]` if `o` has it as data: facts and variables are JSON, so the only things a plain object inherits are
 * Object.prototype's functions (and `__proto__`, which no path may name). Cheaper than `Object.hasOwn` and
 * then the read, which was the largest single cost of an uncached evaluation in a profile.
 */
export function ownData(o: Readonly<Record<string, unknown>> | undefined, k: string): unknown {
  if (o === undefined) return undefined;
  const v = o[k];
  return typeof v === 'function' ? undefined : v;
}
