import type http from 'node:http';
import { checkCache } from './cache-health.js';
import type { RedisCache } from './redis-cache.js';

/** What the cache's HTTP endpoints work on. */
export interface CacheEdge {
  cache: RedisCache;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The cache's operator endpoints, on the API's port beside /health, /ready and /metrics (never rate limited):
 * - `GET /health/cache`: `up | degraded | down` from a PING's latency and the hit rate (503 when down);
 * - `POST /ops/cache-logging?enabled=true|false`: switches hit/miss/invalidation logging at run time. Only from
 *   the machine itself (loopback): it is an operator's switch, reached over SSH or a port-forward, not an API.
 * Returns false for any other request.
 */
export function handleCacheOps(edge: CacheEdge, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  if (url.pathname === '/health/cache' && req.method === 'GET') {
    void checkCache(edge.cache).then((health) =>
      send(res, health.status === 'down' ? 503 : 200, { status: health.status, cache: health }),
    );
    return true;
  }
  if (url.pathname === '/ops/cache-logging' && req.method === 'POST') {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      send(res, 403, { error: { code: 'FORBIDDEN', message: 'cache logging is switched from the machine itself' } });
      return true;
    }
    const enabled = url.searchParams.get('enabled');
    if (enabled !== 'true' && enabled !== 'false') {
      send(res, 400, { error: { code: 'VALIDATION', message: 'enabled must be true or false' } });
      return true;
    }
    edge.cache.setLogging(enabled === 'true');
    send(res, 200, { cacheLogging: edge.cache.loggingEnabled });
    return true;
  }
  return false;
}
