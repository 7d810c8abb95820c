import http from 'node:http';
import { closeServer, handleOps, type Logger, type OpsOptions } from '@cm/platform';

/**
 * The platform's ops endpoints, with a `/health` that also tells what the scheduler is doing (jobs, crons, lock):
 * `status` stays the liveness answer, the rest is for people and `cm` commands.
 */
export async function startSchedulerOps(
  opts: OpsOptions & { port: number; logger: Logger; details: () => Promise<Record<string, unknown>> },
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/health') {
      // Liveness must not depend on NATS: details that cannot be read are reported as such, the answer stays 200.
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('details timed out after 1000 ms')), 1000).unref(),
      );
      void Promise.race([opts.details(), timeout])
        .catch((e: unknown) => ({ detailsError: (e as Error).message }))
        .then((details) => {
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
          res.end(
            JSON.stringify({
              status: 'ok',
              service: opts.service,
              uptimeSeconds: Math.round(process.uptime()),
              ...details,
            }),
          );
        });
      return;
    }
    if (!handleOps(opts, req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'not found' } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '0.0.0.0', resolve);
  });
  opts.logger.info(
    { port: (server.address() as { port: number }).port },
    'ops endpoints listening (/health /ready /metrics)',
  );
  return server;
}

export { closeServer };
