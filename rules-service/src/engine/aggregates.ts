import type { AggregateOperator } from '@cm/contracts';
import type { ChildView, EvaluationContext } from './evaluation.js';

function valueOf(child: ChildView, path: string): unknown {
  if (path.startsWith('variables.')) {
    const vars = child.variables as Record<string, unknown> | undefined;
    const key = path.slice('variables.'.length);
    return vars && Object.hasOwn(vars, key) ? vars[key] : undefined;
  }
  return Object.hasOwn(child, path) ? child[path] : undefined;
}

/**
 * A child aggregate: `count` of the children (or of those where the path has a value), and `sum`, `avg`,
 * `min_of`, `max_of` of the numbers at `path` (other values are skipped). An empty sum is 0; an empty
 * average, minimum or maximum is null.
 */
export function aggregate(
  op: AggregateOperator,
  c: EvaluationContext,
  collection: string,
  path: string | undefined,
): unknown {
  const children = c.subject.children(collection);
  c.checkArray(children.length, collection);
  c.spend(children.length);
  if (op === 'count' && path === undefined) return children.length;
  let count = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const child of children) {
    const v = valueOf(child, path!);
    if (op === 'count') {
      if (v !== undefined && v !== null) count++;
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    count++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  switch (op) {
    case 'count':
      return count;
    case 'sum':
      return sum;
    case 'avg':
      return count === 0 ? null : sum / count;
    case 'min_of':
      return count === 0 ? null : min;
    case 'max_of':
      return count === 0 ? null : max;
    default: {
      const never: never = op;
      return never;
    }
  }
}
