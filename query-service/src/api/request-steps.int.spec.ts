import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLError } from 'graphql-yoga';
import { ErrorCode } from '@cm/contracts';
import { signToken } from '@cm/platform';
import { startApiEdge, type ApiEdge } from './api-edge.test-util.js';
import type { GraphQLContext } from './graphql-context.js';
import { requestStep } from './request-steps.js';

// A per-caller step (the shape rate limiting will take) declared once, with its yoga plugin and its fast-path
// hook calling the same function: both paths refuse the same caller with the same answer, and serve the others.
const SECRET = 'unit-test-secret-0123456789';
const refused = (userId: string) => userId === 'mallory';
const refusal = () =>
  createGraphQLError('mallory is refused by this step', {
    extensions: { code: ErrorCode.RATE_LIMITED, http: { status: 429 } },
  });

const callerStep = requestStep({
  name: 'refuse-mallory',
  plugins: [
    {
      onExecute({ args, setResultAndStopExecution }) {
        if (refused((args.contextValue as GraphQLContext).principal.userId))
          setResultAndStopExecution({ errors: [refusal()] });
      },
    },
  ],
  fast: { admitsCaller: (context) => !refused(context.principal.userId) },
});

let edge: ApiEdge;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  edge = await startApiEdge({ secret: SECRET, extraSteps: [callerStep] });
  for (const user of ['alice', 'mallory']) tokens[user] = await signToken(SECRET, user);
});

afterAll(async () => {
  await edge?.close();
});

const fastCount = async () =>
  Number(/cm_graphql_fast_path_total(?:\{[^}]*\})? (\d+)/.exec(await edge.registry.metrics())?.[1] ?? 0);

async function send(user: string, query: string) {
  const res = await fetch(edge.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[user]}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('a request step with a per-caller check', () => {
  it('refuses the caller alike on both paths, and lets the fast path serve everyone else', async () => {
    const query = '{ me { id } }';
    // First sends go through yoga (the text is new); the same text again is the fast path's.
    const byYoga = { alice: await send('alice', query), mallory: await send('mallory', query) };
    expect(JSON.parse(byYoga.mallory.body)).toEqual({
      errors: [{ message: 'mallory is refused by this step', extensions: { code: 'RATE_LIMITED' } }],
    });
    expect(byYoga.mallory.status).toBe(429);
    expect(JSON.parse(byYoga.alice.body)).toEqual({ data: { me: { id: 'alice' } } });

    const before = await fastCount();
    expect(await send('alice', query)).toEqual(byYoga.alice);
    expect(await fastCount()).toBe(before + 1);
    // The fast path's hook refuses: yoga answers, with the step's plugin.
    expect(await send('mallory', query)).toEqual(byYoga.mallory);
    expect(await fastCount()).toBe(before + 1);
  });
});
