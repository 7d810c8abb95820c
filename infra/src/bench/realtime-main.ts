import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats } from '@cm/platform';
import { isolatedNames } from '../isolation.js';
import { startSystem, type System } from '../launcher.js';
import { dropNamespace } from '../namespace-cleanup.js';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { measureRealtime } from './realtime-load.js';
import { markdownTable, row } from './report.js';

/**
 * `npm run bench -- --only realtime`: the realtime gateway's rows alone, in a system of their own (command
 * service, GraphQL API, projector, gateway; production mode). Returns the exit code.
 */
export async function runRealtimeBench(opts: {
  durationMs: number;
  rate: number;
  subscribers: number;
  log: (s: string) => void;
}): Promise<number> {
  const { log } = opts;
  const startedAt = new Date();
  const names = isolatedNames('benchrt');
  const JWT_SECRET = randomBytes(24).toString('hex');
  let system: System | undefined;
  let nats: Awaited<ReturnType<typeof connectNats>> | undefined;
  try {
    system = await startSystem({
      ...names,
      // One bench user drives far past any per-user budget, as in the main bench.
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET, RATE_LIMIT_ENABLED: 'false' },
      output: 'files',
      services: ['command-service', 'query-api', 'query-projector', 'realtime-gateway'],
      serviceEnv: {
        'realtime-gateway': {
          REALTIME_MAX_CONNECTIONS: String(opts.subscribers + 100),
          REALTIME_MAX_CONNECTIONS_PER_USER: String(opts.subscribers + 100),
        },
      },
    });
    nats = await connectNats(natsUrl(), 'bench', toolLogger('bench'));
    const r = await measureRealtime({
      nats,
      names: natsNames(names.namespace),
      graphqlUrl: system.graphqlUrl,
      gatewayUrl: system.urls['realtime-gateway']!,
      token: await system.token('bench-user'),
      rate: opts.rate,
      durationMs: opts.durationMs,
      subscribers: opts.subscribers,
      log,
    });
    const rows = [
      row(`mutation ack → SSE client p99 at ${opts.rate}/s`, r.ackToSse.latencyMs.p99, 'ms', {
        target: { op: '<=', value: 25 },
        rawLimit: r.rawDelivery.latencyMs.p99,
      }),
      row(`raw JetStream publish ack → ordered consumer p99 at ${opts.rate}/s`, r.rawDelivery.latencyMs.p99, 'ms'),
      // Gateway side (the target's figure): what the gateway controls, event stored → its write to the last
      // socket, per broadcast; its raw limit is plain node:net writing one Buffer to as many sockets.
      row(
        `broadcast to ${r.broadcast.connected} SSE subscribers on one gateway, gateway side: event stored → last socket write, max of ${r.broadcast.broadcasts}`,
        r.broadcast.gatewayFanOutMs.max,
        'ms',
        { target: { op: '<=', value: 250 }, rawLimit: r.rawBroadcast.lastWriteMs.max },
      ),
      // End to end: includes the benchmark's own reading of every socket on the same two cores; its raw limit is
      // the same client reading the same number of sockets fed by plain node:net.
      row(`the same broadcast end to end: mutation ack → read by each client, p99`, r.broadcast.latencyMs.p99, 'ms', {
        rawLimit: r.rawBroadcast.latencyMs.p99,
      }),
      row(
        `raw: plain node:net writes one Buffer to ${r.rawBroadcast.connected} sockets → read by the same client, p99`,
        r.rawBroadcast.latencyMs.p99,
        'ms',
      ),
      row(
        'gateway memory per SSE connection (RSS delta / connections)',
        r.broadcast.gatewayBytesPerConnection / 1024,
        'KiB',
        { target: { op: '<=', value: 20 } },
      ),
    ];
    const json = JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        settings: { ...opts, log: undefined, namespace: names.namespace },
        realtime: r,
        rows,
      },
      null,
      2,
    );
    const dir = join(repoRoot, 'bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `bench-realtime-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`), `${json}\n`);
    process.stdout.write(`${json}\n\n${markdownTable(rows)}\n`);
    return 0;
  } catch (e) {
    log(`realtime benchmark could not run: ${(e as Error).message}`);
    return 1;
  } finally {
    if (nats) await closeNats(nats);
    if (system) await system.stop().catch((e: unknown) => log(`stopping the system: ${(e as Error).message}`));
    await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  }
}
