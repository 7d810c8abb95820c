import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { KeepAliveClient, parseResponse } from './http-client.js';

describe('the benchmark HTTP client', () => {
  it('parses responses with a length, chunked ones, and waits for incomplete ones', () => {
    const sized = Buffer.from('HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX: y\r\n\r\nhello');
    expect(parseResponse(sized)).toEqual({ response: { status: 201, body: 'hello' }, used: sized.length });
    expect(parseResponse(sized.subarray(0, sized.length - 1))).toBeUndefined();
    const chunked = Buffer.from(
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\nNEXT',
    );
    expect(parseResponse(chunked)).toEqual({ response: { status: 200, body: 'abcde' }, used: chunked.length - 4 });
    expect(parseResponse(chunked.subarray(0, 60))).toBeUndefined();
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/Content-Length/);
  });

  it('sends requests over a few keep-alive connections and gets every answer back in its place', async () => {
    const sockets = new Set<unknown>();
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const payload = JSON.stringify({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization ?? null,
          body,
        });
        if (req.url === '/chunked') {
          res.write(payload.slice(0, 5));
          res.end(payload.slice(5));
        } else res.end(payload);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = new KeepAliveClient(`http://127.0.0.1:${(server.address() as { port: number }).port}`, 4);
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          i % 5 === 0
            ? client.request('GET', '/chunked')
            : client.request('POST', `/p${i}`, `{"i":${i}}`, { authorization: `Bearer ${i}` }),
        ),
      );
      answers.forEach((a, i) => {
        expect(a.status).toBe(200);
        expect(JSON.parse(a.body)).toEqual(
          i % 5 === 0
            ? { method: 'GET', url: '/chunked', auth: null, body: '' }
            : { method: 'POST', url: `/p${i}`, auth: `Bearer ${i}`, body: `{"i":${i}}` },
        );
      });
      expect(sockets.size).toBe(4);
    } finally {
      client.close();
      server.close();
    }
  });
});
