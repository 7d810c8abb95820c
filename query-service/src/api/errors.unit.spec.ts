import { GraphQLError, locatedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError } from '@cm/contracts';
import { NoRespondersError, RequestError, TimeoutError, ClosedConnectionError } from '@nats-io/transport-node';
import { maskError, natsRequestError, stableCodeOf, withStableCode } from './errors.js';

const located = (e: Error) => locatedError(e, undefined, ['kingdom']);

describe('maskError', () => {
  it('shows an AppError thrown by a resolver with its code, message and details, at its path', () => {
    const masked = maskError(located(new AppError('FORBIDDEN', 'not a member', { campaignId: 'c1' }))) as GraphQLError;
    expect(masked.message).toBe('not a member');
    expect(masked.extensions).toEqual({ code: 'FORBIDDEN', details: { campaignId: 'c1' } });
    expect(masked.path).toEqual(['kingdom']);
  });

  it('shows an AppError thrown while building the context (no GraphQL wrapper)', () => {
    const masked = maskError(new AppError('UNAUTHENTICATED', 'token expired')) as GraphQLError;
    expect(masked.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('hides anything else behind INTERNAL, without its message or stack', () => {
    const masked = maskError(
      located(new TypeError('cannot read properties of undefined (reading "x")')),
    ) as GraphQLError;
    expect(masked.message).toBe('internal error');
    expect(masked.extensions).toEqual({ code: 'INTERNAL' });
    expect(JSON.stringify(masked.toJSON())).not.toMatch(/TypeError|reading/);
    expect((maskError('a string') as GraphQLError).extensions).toEqual({ code: 'INTERNAL' });
  });

  it("passes GraphQL's own errors through (their codes are settled later)", () => {
    const syntax = new GraphQLError('Syntax Error: Unexpected Name "x".');
    expect(maskError(syntax)).toBe(syntax);
    const coercion = new GraphQLError('Variable "$l" got invalid value "high"', {
      originalError: new GraphQLError('Int cannot represent'),
    });
    expect(maskError(coercion)).toBe(coercion);
  });
});

describe('stable codes', () => {
  it.each([
    [{ code: 'STALE_READ' }, ['x'], 'STALE_READ'],
    [{ code: 'QUERY_TOO_COMPLEX' }, undefined, 'QUERY_TOO_COMPLEX'],
    [{ code: 'GRAPHQL_VALIDATION_FAILED' }, undefined, 'VALIDATION'],
    [{ code: 'GRAPHQL_PARSE_FAILED' }, undefined, 'VALIDATION'],
    [{ code: 'BAD_USER_INPUT' }, undefined, 'VALIDATION'],
    [{ code: 'BAD_REQUEST' }, undefined, 'VALIDATION'],
    [{}, undefined, 'VALIDATION'],
    [{}, ['campaign', 'name'], 'INTERNAL'],
    [{ code: 'INTERNAL_SERVER_ERROR' }, ['x'], 'INTERNAL'],
  ] as const)('%j at %j → %s', (extensions, path, code) => {
    expect(stableCodeOf(new GraphQLError('m', { extensions, path }))).toBe(code);
  });

  it('gives request-level errors the HTTP status of their code and keeps one yoga chose', () => {
    expect(withStableCode(new GraphQLError('m', { extensions: { code: 'UNAUTHENTICATED' } }), true).extensions).toEqual(
      {
        code: 'UNAUTHENTICATED',
        http: { status: 401 },
      },
    );
    const validation = withStableCode(
      new GraphQLError('m', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { spec: true, status: 400 } } }),
      true,
    );
    expect(validation.extensions).toEqual({ code: 'VALIDATION', http: { spec: true, status: 400 } });
    expect(
      withStableCode(new GraphQLError('m', { path: ['a'], extensions: { code: 'FORBIDDEN' } }), false).extensions,
    ).toEqual({ code: 'FORBIDDEN' });
  });

  it("drops graphql-armor's misleading 'Syntax Error:' prefix and hides unexpected messages", () => {
    expect(
      withStableCode(
        new GraphQLError('Syntax Error: Query depth limit of 3 exceeded, found 5.', {
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        }),
        true,
      ).message,
    ).toBe('Query depth limit of 3 exceeded, found 5.');
    expect(
      withStableCode(
        new GraphQLError('Cannot return null for non-nullable field Kingdom.name.', { path: ['k', 'name'] }),
        false,
      ).message,
    ).toBe('internal error');
  });
});

describe('NATS request failures', () => {
  it('maps a timeout to TIMEOUT, telling the client the command id to retry with', () => {
    const e = natsRequestError(new TimeoutError(), 'cm.cmd.kingdom.create', 'cmd-1');
    expect(e.code).toBe('TIMEOUT');
    expect(e.details).toMatchObject({ commandId: 'cmd-1' });
  });

  it('maps no responders to UNAVAILABLE, bare or wrapped in a RequestError', () => {
    expect(natsRequestError(new NoRespondersError('cm.cmd.x'), 's', 'c').code).toBe('UNAVAILABLE');
    const wrapped = new RequestError('503', { cause: new NoRespondersError('cm.cmd.x') });
    expect(natsRequestError(wrapped, 's', 'c').code).toBe('UNAVAILABLE');
  });

  it('maps a closed connection to UNAVAILABLE and anything else to INTERNAL', () => {
    expect(natsRequestError(new ClosedConnectionError(), 's', 'c').code).toBe('UNAVAILABLE');
    expect(natsRequestError(new Error('boom'), 's', 'c').code).toBe('INTERNAL');
  });
});
