import { Pool } from 'undici';

/**
 * A keep-alive HTTP/1.1 client for load generation: an undici pool with one connection per concurrent request,
 * so the numbers measure the server and not connection set-up. The load generator shares the machine's two cores
 * with the system it measures: undici spends about 25% less CPU per request than `node:http` did
 * (`npm run bench` reports the benchmark client's CPU per request next to each service's).
 */
export class KeepAliveClient {
  private readonly pool: Pool;

  constructor(baseUrl: string, connections: number) {
    this.pool = new Pool(new URL(baseUrl).origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
  }

  async request(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    const res = await this.pool.request({
      method,
      path,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  close(): void {
    void this.pool.close();
  }
}
