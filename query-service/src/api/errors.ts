import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import { AppError, ErrorCode, httpStatusOf, isAppError } from '@cm/contracts';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/*
 * graphql 16 ships CommonJS and ESM copies of itself. Node always loads the CommonJS one, but a bundler or
 * test runner may hand our files the other copy than yoga's, and then `instanceof GraphQLError` lies both
 * ways. So we recognise GraphQL errors by shape and create them with yoga's `createGraphQLError`, which
 * uses yoga's copy.
 */
export function isGraphQLError(value: unknown): value is GraphQLError {
  return value instanceof Error && value.name === 'GraphQLError' && 'extensions' in value;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && ERROR_CODES.has(value);
}

/**
 * Codes graphql-js, graphql-tools and yoga give a malformed request (syntax, validation, variable
 * coercion, operation selection). Clients see one stable code for all of them.
 */
const REQUEST_ERROR_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** The innermost cause of an error: resolvers' errors arrive wrapped by graphql-js' `locatedError`. */
export function rootCause(error: unknown): unknown {
  let current = error;
  while (isGraphQLError(current) && current.originalError) current = current.originalError;
  return current;
}

/**
 * An `AppError` as the GraphQL error a client sees: its message, `extensions.code` and `details`. A
 * `details.retryAfterSeconds` also becomes the response's `Retry-After` header (yoga sets `extensions.http.headers`
 * on the HTTP response and leaves `http` out of the body).
 */
export function appErrorToGraphQL(error: AppError, located?: GraphQLError): GraphQLError {
  const extensions: Record<string, unknown> = error.details
    ? { code: error.code, details: error.details }
    : { code: error.code };
  const retryAfter = error.details?.['retryAfterSeconds'];
  if (typeof retryAfter === 'number')
    extensions['http'] = { headers: { 'Retry-After': String(Math.ceil(retryAfter)) } };
  return createGraphQLError(error.message, {
    nodes: located?.nodes,
    source: located?.source,
    positions: located?.positions,
    path: located?.path,
    extensions,
  });
}

/**
 * yoga's `maskError`: our own errors keep their code and message, GraphQL's own errors (syntax,
 * validation, coercion) pass through for `withStableCode`, and anything else is a bug that the client
 * sees only as `INTERNAL` (yoga logs the original with its stack).
 */
export function maskError(error: unknown): Error {
  const located = isGraphQLError(error) ? error : undefined;
  const cause = rootCause(error);
  if (isAppError(cause)) return appErrorToGraphQL(cause, located);
  if (isGraphQLError(cause)) return located ?? cause;
  return createGraphQLError('internal error', {
    nodes: located?.nodes,
    source: located?.source,
    positions: located?.positions,
    path: located?.path,
    extensions: { code: ErrorCode.INTERNAL },
  });
}

/** The contract code for any error in a response: kept when it is one, derived when it is not. */
export function stableCodeOf(error: GraphQLError): ErrorCode {
  const code = error.extensions?.['code'];
  if (isErrorCode(code)) return code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) return ErrorCode.VALIDATION;
  // Without a path the error is about the request itself, not a field: a syntax, validation or variable error.
  if (code === undefined && error.path === undefined) return ErrorCode.VALIDATION;
  return ErrorCode.INTERNAL;
}

/**
 * Re-issues `error` with a contract code. `requestLevel` errors (no data was produced) also carry the HTTP
 * status of their code, unless yoga already chose one.
 */
export function withStableCode(error: GraphQLError, requestLevel: boolean): GraphQLError {
  const code = stableCodeOf(error);
  const extensions: Record<string, unknown> = { ...error.extensions, code };
  if (requestLevel && !extensions['http']) extensions['http'] = { status: httpStatusOf[code] };
  return createGraphQLError(
    code === ErrorCode.INTERNAL && !isErrorCode(error.extensions?.['code'])
      ? 'internal error'
      : stripArmorPrefix(error.message),
    {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions,
    },
  );
}

/** graphql-armor words its limits as syntax errors; they are not. */
export function stripArmorPrefix(message: string): string {
  return message.replace(/^Syntax Error: /, '');
}

/**
 * A failed NATS request as an `AppError`: no command service listening is `UNAVAILABLE`, no answer in time
 * is `TIMEOUT` (the command may still have been applied: retrying with the same command id is safe).
 */
export function natsRequestError(error: unknown, subject: string, commandId: string): AppError {
  if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
    return new AppError(
      ErrorCode.TIMEOUT,
      'the command service did not answer in time; retry with the same commandId',
      { subject, commandId },
    );
  }
  const noResponders = error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
  if (noResponders) return new AppError(ErrorCode.UNAVAILABLE, 'no command service is available', { subject });
  if (
    error instanceof RequestError ||
    error instanceof ClosedConnectionError ||
    error instanceof DrainingConnectionError
  ) {
    return new AppError(ErrorCode.UNAVAILABLE, `the command service cannot be reached: ${error.message}`, { subject });
  }
  return new AppError(ErrorCode.INTERNAL, 'command request failed');
}
