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
  /** Longest `/ready` takes to answer (default `READY_DEADLINE_MS`): a check still running then counts as down. */
  readyDeadlineMs?: number;
  /** Figures a service adds to its `/health` body (cache hit rate, say); cheap, computed per request. */
  health?: () => Record<string, unknown>;
}

/**
 * Default deadline of `/ready`. A probe that does not answer is worse than one that answers "down": load balancers
 * and orchestrators time out after a second or two and learn nothing, so a hung dependency must not hang the probe.
 */
export const READY_DEADLINE_MS = 1000;

type CheckResult = readonly [string, Record<string, unknown>];

/**
 * Runs every check at once and answers when all have answered, when the first fails (one failure decides: the
 * others are reported as not yet answered), or at the deadline, whichever comes first.
 */
async function readiness(opts: OpsOptions): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  const deadlineMs = opts.readyDeadlineMs ?? READY_DEADLINE_MS;
  const results = new Map<string, Record<string, unknown>>();
  let settle: () => void = () => undefined;
  const decided = new Promise<void>((resolve) => (settle = resolve));
  const timer = setTimeout(settle, deadlineMs);
  timer.unref();
  let pending = opts.checks.length;
  const record = ([name, result]: CheckResult) => {
    results.set(name, result);
    pending -= 1;
    if (pending === 0 || result['status'] === 'down') settle();
  };
  for (const c of opts.checks) {
    const started = performance.now();
    // A check that throws synchronously is a failure like any other.
    Promise.resolve()
      .then(() => c.check())
      .then(
        (info) => record([c.name, { status: 'up', ms: Math.round(performance.now() - started), ...(info ?? {}) }]),
        (e: unknown) => record([c.name, { status: 'down', error: (e as Error).message }]),
      );
  }
  if (pending === 0) settle();
  await decided;
  clearTimeout(timer);
  const failed = [...results.values()].some((r) => r['status'] === 'down');
  const checks = Object.fromEntries(
    opts.checks.map((c) => [
      c.name,
      results.get(c.name) ??
        (failed
          ? { status: 'unknown', error: 'not answered before another check failed' }
          : { status: 'down', error: `no answer within ${deadlineMs} ms` }),
    ]),
  );
  const accepting = opts.accepting?.() ?? true;
  const ok = accepting && Object.values(checks).every((r) => r.status === 'up');
  return { ok, body: { status: ok ? 'ready' : 'not_ready', service: opts.service, accepting, checks } };
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
    send(
      res,
      200,
      JSON.stringify({
        status: 'ok',
        service: opts.service,
        uptimeSeconds: Math.round(process.uptime()),
        ...opts.health?.(),
      }),
    );
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
export async function startOpsServer(
  opts: OpsOptions & { port: number; host?: string; logger: Logger },
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (!handleOps(opts, req, res))
      send(res, 404, JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', resolve);
  });
  opts.logger.info(
    { port: (server.address() as { port: number }).port },
    'ops endpoints listening (/health /ready /metrics)',
  );
  return server;
}

export function closeServer(server: http.Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
