import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '@cm/platform';
import { startApiEdge, type ApiEdge } from './api-edge.test-util.js';

// The body limit over a real socket, both request paths wired as in createApi: a request over the limit is
// answered before the rest of its body is read. Every request here is refused before a resolver runs.
const SECRET = 'unit-test-secret-0123456789';
const LIMIT = 1_000_000;
let edge: ApiEdge;
let port: number;
let token: string;

beforeAll(async () => {
  edge = await startApiEdge({ secret: SECRET, limits: { maxBodyBytes: LIMIT } });
  port = Number(new URL(edge.url).port);
  token = await signToken(SECRET, 'alice');
});

afterAll(async () => {
  await edge?.close();
});

interface Answer {
  status: number;
  connection: string | undefined;
  body: { errors?: { message: string; extensions?: { code?: string } }[] };
  /** Bytes of the body this client had written when the answer came. */
  sent: number;
}

/**
 * POSTs `body` in 64 KiB pieces, waiting for each to drain, and stops at the first sign of an answer. With
 * `declare`, the whole length is declared up front; without, the body is chunked.
 */
function post(body: Buffer, declare: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (declare) headers['content-length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode!,
          connection: res.headers.connection,
          body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'],
          sent,
        });
        req.destroy();
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const writeMore = () => {
      while (!answered && sent < body.length) {
        const piece = body.subarray(sent, sent + 65_536);
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', writeMore);
      }
      if (!answered) req.end();
    };
    writeMore();
  });
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const query = '{ me { id } }';

describe('the request body limit (GRAPHQL_MAX_BODY_BYTES)', () => {
  it.each([
    ['a 30 MB body', json({ query, variables: { padding: 'x'.repeat(30_000_000) } })],
    ['20 MB of variables', json({ query, variables: { list: Array.from({ length: 2_000_000 }, () => 123456789) } })],
    ['a 10 MB query of whitespace', json({ query: `${' '.repeat(10_000_000)}${query}` })],
  ])('answers %s of declared length with 413 PAYLOAD_TOO_LARGE, before reading it', async (_name, body) => {
    const answer = await post(body, true);
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['PAYLOAD_TOO_LARGE']);
    // The answer came while most of the body was still unsent: the server did not wait to read it.
    expect(answer.sent).toBeLessThan(body.length / 2);
    expect(answer.connection).toBe('close');
  });

  it('cuts a chunked body off where it passes the limit, with 413 PAYLOAD_TOO_LARGE', async () => {
    const body = json({ query, variables: { padding: 'x'.repeat(30_000_000) } });
    const answer = await post(body, false);
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(answer.sent).toBeLessThan(body.length / 2);
  });

  it('takes a body just under the limit', async () => {
    const body = json({ query, variables: { padding: 'x'.repeat(LIMIT - 200) } });
    expect(body.length).toBeLessThan(LIMIT);
    const answer = await post(body, true);
    // Past the body limit, the variables limit (500 kB by default) refuses it: still the same code, from its step.
    expect(answer.body.errors?.map((e) => e.extensions?.code)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(answer.body.errors?.[0]?.message).toMatch(/^variables larger than/);
    const small = await post(json({ query, variables: { padding: 'x'.repeat(1000) } }), true);
    expect(small.status).toBe(200);
  });
});
