import type { Plugin } from 'graphql-yoga';
import { isGraphQLError, withStableCode } from '../errors.js';

type Result = { data?: unknown; errors?: readonly unknown[] };

const isResult = (value: unknown): value is Result =>
  value !== null && typeof value === 'object' && !(Symbol.asyncIterator in value);

/** Re-issues every error of a result with a contract code; cached error objects are never mutated. */
export function stabilizeResult<R extends Result>(result: R): R {
  if (!result.errors?.length) return result;
  const requestLevel = !('data' in result);
  const errors = result.errors.map((e) => (isGraphQLError(e) ? withStableCode(e, requestLevel) : e));
  return { ...result, errors };
}

/**
 * The last word on every response: whatever produced an error (graphql-js validation, yoga's request
 * parser, variable coercion, our resolvers), the client sees one of contracts' `ErrorCode`s in
 * `extensions.code`. Runs where yoga hands results to the HTTP layer, so request-level errors are covered.
 */
export function errorCodesPlugin(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map((r) => (isResult(r) ? stabilizeResult(r) : r)));
      else if (isResult(result)) setResult(stabilizeResult(result));
    },
  };
}
