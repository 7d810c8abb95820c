import type { Plugin } from 'graphql-yoga';
import { AppError, ErrorCode } from '@cm/contracts';

export interface VariablesLimits {
  /** Largest `variables` as JSON, in bytes (`GRAPHQL_MAX_VARIABLES_BYTES`). */
  maxVariablesBytes: number;
  /** Deepest nesting of objects and arrays in `variables` (`GRAPHQL_MAX_VARIABLES_DEPTH`). */
  maxVariablesDepth: number;
}

/**
 * The defaults: a MultiPolygon is 5 levels deep inside its variable, world-event effects a few more; half the body
 * limit leaves room for the query text beside a large geometry.
 */
export const DEFAULT_VARIABLES_LIMITS: VariablesLimits = { maxVariablesBytes: 500_000, maxVariablesDepth: 12 };

/**
 * Why `variables` are refused, or nothing. graphql-js coerces variables only where the operation uses them, and
 * custom scalars (GeoJSON, JSON) take any shape: without this a client could make every request walk and hold a
 * structure as large and deep as the body allows. `bodyBytes` (the declared length) spares measuring variables
 * that cannot be over the size limit, the common case.
 */
export function variablesProblem(
  variables: unknown,
  limits: VariablesLimits,
  bodyBytes: number | undefined,
): AppError | undefined {
  if (variables === null || typeof variables !== 'object') return undefined;
  if (bodyBytes === undefined || bodyBytes > limits.maxVariablesBytes) {
    const bytes = Buffer.byteLength(JSON.stringify(variables));
    if (bytes > limits.maxVariablesBytes) {
      return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `variables larger than ${limits.maxVariablesBytes} bytes`, {
        limit: limits.maxVariablesBytes,
      });
    }
  }
  if (deeperThan(variables, limits.maxVariablesDepth)) {
    return new AppError(ErrorCode.VALIDATION, `variables nested deeper than ${limits.maxVariablesDepth} levels`, {
      limit: limits.maxVariablesDepth,
    });
  }
  return undefined;
}

/** Whether objects and arrays nest more than `max` levels; stops as soon as they do. */
function deeperThan(value: unknown, max: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (max === 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) if (deeperThan(child, max - 1)) return true;
  return false;
}

/** The size and depth limits of `variables`, before the operation is parsed. */
export function variablesLimitPlugin(limits: VariablesLimits): Plugin {
  return {
    onParams({ params, request }) {
      const declared = request.headers.get('content-length');
      const problem = variablesProblem(params.variables, limits, declared === null ? undefined : Number(declared));
      if (problem) throw problem;
    },
  };
}
