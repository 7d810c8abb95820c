import http from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** A dependency whose failure makes the service not ready (NATS, Postgres, Redis, the projector lease ...). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void | Record<string, unknown>>;
}

export interface OpsOptions {
  service: string;
  registry: Registry;
  checks: ReadinessCheck[];
  /** False while shutting down: readiness then fails so load balancers stop sending work. */
  accepting?: () => boolean;
  /** Figures a service adds to its `/health` body (cache hit rate, say); cheap, computed per request. */
  health?: () => Record<string, unknown>;
}

async function readiness(opts: OpsOptions): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const results = await Promise.all(
    opts.checks.map(async (c) => {
      const started = performance.now();
      try {
        const info = await Promise.race([
          c.check(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out after 2000 ms')), 2000).unref()),
        ]);
        return [c.name, { status: 'up', ms: Math.round(performance.now() - started), ...(info ?? {}) }] as const;
      } catch (e) {
        return [c.name, { status: 'down', error: (e as Error).message }] as const;
      }
    }),
  );
  const accepting = opts.accepting?.() ?? true;
  const ok = accepting && results.every(([, r]) => r.status === 'up');
  return { ok, body: { status: ok ? 'ready' : 'not_ready', service: opts.service, accepting, checks: Object.fromEntries(results) } };
}

function send(res: http.ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Serves `GET /health` (liveness: the process answers), `GET /ready` (every dependency answers) and
 * `GET /metrics` (Prometheus text). Returns false for any other path so it can sit in front of another handler.
 */
export function handleOps(opts: OpsOptions, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const path = req.url?.split('?')[0];
  if (req.method !== 'GET') return false;
  if (path === '/health') {
    send(res, 200, JSON.stringify({ status: 'ok', service: opts.service, uptimeSeconds: Math.round(process.uptime()), ...opts.health?.() }));
    return true;
  }
  if (path === '/ready') {
    void readiness(opts).then(({ ok, body }) => send(res, ok ? 200 : 503, JSON.stringify(body)));
    return true;
  }
  if (path === '/metrics') {
    void opts.registry.metrics().then((text) => send(res, 200, text, opts.registry.contentType));
    return true;
  }
  return false;
}

/** A standalone ops server, for services that have no HTTP API of their own. */
export async function startOpsServer(opts: OpsOptions & { port: number; host?: string; logger: Logger }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (!handleOps(opts, req, res)) send(res, 404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', resolve);
  });
  opts.logger.info({ port: (server.address() as { port: number }).port }, 'ops endpoints listening (/health /ready /metrics)');
  return server;
}

export function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
