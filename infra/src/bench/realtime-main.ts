import { measureRealtime } from './realtime-load.js';
import { row } from './report.js';
import { runBench } from './runner.js';

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
  return runBench({ name: 'realtime', label: 'benchrt', log }, async ({ nn, ...ctx }) => {
    const system = await ctx.start({
      services: ['command-service', 'query-api', 'query-projector', 'realtime-gateway'],
      serviceEnv: {
        'realtime-gateway': {
          REALTIME_MAX_CONNECTIONS: String(opts.subscribers + 100),
          REALTIME_MAX_CONNECTIONS_PER_USER: String(opts.subscribers + 100),
        },
      },
    });
    const r = await measureRealtime({
      nats: await ctx.nats(),
      names: nn,
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
    return {
      settings: { durationMs: opts.durationMs, rate: opts.rate, subscribers: opts.subscribers },
      data: { realtime: r },
      rows,
    };
  });
}
