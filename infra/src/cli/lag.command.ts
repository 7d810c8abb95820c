import { natsNames } from '@cm/contracts';
import { streamLags, type ConsumerLag, type Nats } from '@cm/platform';
import { namespaceStreams } from '../namespace-cleanup.js';
import { withNats } from '../nats-admin.js';
import { namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';
import { readProjectionState, schemaOption } from './read-model-db.js';
import { formatTable } from './table.js';

const help = `
Usage: cm lag [--namespace cm] [--schema public] [--json] [--watch [--interval 1]] [--max-lag <limit>]

How far behind every durable consumer of the namespace's streams is: the Postgres projection, the command
service's sagas, the rules and scheduler consumers, whatever else is registered; and every process that
follows the event stream with its own ordered consumer (each rules service and realtime gateway process, named
follower-<role>-<pid>-<random>_<n>; its applied seq is what the server last delivered to it). Per consumer:
  last seq        the stream's last sequence
  applied seq     the projection's checkpoint in the read model where it keeps one, else the consumer's ack floor
  pending         not yet delivered (the server's num_pending)
  ack pending     delivered, not yet acknowledged
  redelivered     being redelivered by the server
  behind          events between applied and last (pending + ack pending for a consumer without a checkpoint)
  seconds behind  age of the oldest unapplied event (the one at applied + 1); 0 when caught up
  parked          commits the projection parked (poison events; see cm parked)

Options:
  --namespace <ns>    namespace prefix (default $CM_NAMESPACE or cm)
  --schema <schema>   read-model schema holding the checkpoints (default $DATABASE_SCHEMA or public)
  --json              machine-readable output (with --watch: one JSON document per line and refresh)
  --watch             refresh until interrupted (Ctrl-C)
  --interval <s>      seconds between refreshes with --watch (default 1)
  --max-lag <limit>   exit 3 if any consumer is further behind: seconds ("30", "30s") or events ("1000ev")
  -h, --help          show this help

Examples:
  npm run cm -- lag
  npm run cm -- lag --watch
  npm run cm -- lag --json --max-lag 10s     # a probe: exit code 0 healthy, 3 lagging
`;

/** One consumer's line of the report. */
export interface LagReport extends ConsumerLag {
  /** Events not yet applied. */
  behind: number;
  parked: number;
}

/** A `--max-lag` threshold. */
export type MaxLag = { seconds: number } | { events: number };

export function parseMaxLag(value: string): MaxLag {
  const m = /^(\d+(?:\.\d+)?)\s*(s|sec|seconds|ev|events)?$/.exec(value.trim());
  if (!m)
    throw new UsageError(`--max-lag must be seconds ("30", "30s") or events ("1000ev"), got ${JSON.stringify(value)}`);
  const n = Number(m[1]);
  return m[2] === 'ev' || m[2] === 'events' ? { events: Math.floor(n) } : { seconds: n };
}

export function exceeds(r: LagReport, max: MaxLag): boolean {
  return 'seconds' in max ? r.secondsBehind > max.seconds : r.behind > max.events;
}

/** The lag of every durable consumer and process follower of `namespace`, with the read model's checkpoints and parked counts. */
export async function measureLag(nats: Pick<Nats, 'jsm'>, namespace: string, schema: string): Promise<LagReport[]> {
  const names = natsNames(namespace);
  const state = await readProjectionState(schema);
  const checkpoints = new Map<string, number>();
  const parkedByConsumer = new Map<string, number>();
  for (const [projection, seq] of state?.checkpoints ?? []) checkpoints.set(names.projectionConsumer(projection), seq);
  for (const [projection, n] of state?.parked ?? []) parkedByConsumer.set(names.projectionConsumer(projection), n);
  // Checkpoints are of the event stream; a consumer of the same name elsewhere is another thing.
  const streams = (await namespaceStreams(nats.jsm, namespace)).filter((s) => !s.startsWith('KV_'));
  const lags = [];
  for (const stream of streams)
    lags.push(...(await streamLags(nats.jsm, [stream], stream === names.eventStream ? checkpoints : new Map())));
  return lags.map((l) => ({
    ...l,
    behind: l.appliedFrom === 'checkpoint' ? Math.max(0, l.lastSeq - l.appliedSeq) : l.pending + l.ackPending,
    parked: l.stream === names.eventStream ? (parkedByConsumer.get(l.consumer) ?? 0) : 0,
  }));
}

export const lagCommand: CliCommand = {
  name: 'lag',
  summary: 'consumer lag: applied vs last sequence, pending, ack pending, redelivered, seconds behind, parked',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      namespace: { type: 'string' },
      schema: { type: 'string' },
      json: { type: 'boolean' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
      'max-lag': { type: 'string' },
    });
    if (!args) return 0;
    const namespace = namespaceOption(args.values.namespace as string | undefined);
    const schema = schemaOption(args.values.schema as string | undefined);
    const maxLag = args.values['max-lag'] === undefined ? undefined : parseMaxLag(args.values['max-lag'] as string);
    const interval = Number(args.values.interval ?? 1);
    if (!(interval > 0))
      throw new UsageError(
        `--interval must be a positive number of seconds, got ${JSON.stringify(args.values.interval)}`,
      );
    const json = Boolean(args.values.json);
    return withNats('cm-cli:lag', async (nats) => {
      if (!args.values.watch) {
        const reports = await measureLag(nats, namespace, schema);
        process.stdout.write(
          json ? `${JSON.stringify(reports, null, 2)}\n` : `${render(reports, namespace, maxLag)}\n`,
        );
        return maxLag && reports.some((r) => exceeds(r, maxLag)) ? 3 : 0;
      }
      return watch(nats, namespace, schema, interval, json, maxLag);
    });
  },
};

/** Refreshes until SIGINT/SIGTERM; the exit code says whether the last refresh was past `--max-lag`. */
async function watch(
  nats: Nats,
  namespace: string,
  schema: string,
  intervalS: number,
  json: boolean,
  maxLag: MaxLag | undefined,
): Promise<number> {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = process.stdout.isTTY && !json;
  let code = 0;
  let done = false;
  void stopped.then(() => (done = true));
  while (!done) {
    const reports = await measureLag(nats, namespace, schema);
    code = maxLag && reports.some((r) => exceeds(r, maxLag)) ? 3 : 0;
    if (json) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), consumers: reports })}\n`);
    else
      process.stdout.write(
        `${tty ? '\x1b[H\x1b[2J' : '\n'}${new Date().toISOString()}  (every ${intervalS} s; Ctrl-C to stop)\n\n${render(reports, namespace, maxLag)}\n`,
      );
    await Promise.race([stopped, new Promise((r) => setTimeout(r, intervalS * 1000))]);
  }
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  return code;
}

function render(reports: LagReport[], namespace: string, maxLag: MaxLag | undefined): string {
  if (reports.length === 0) return `no durable consumers in namespace ${namespace}`;
  const table = formatTable(
    [
      'stream',
      'consumer',
      'last seq',
      'applied seq',
      'from',
      'pending',
      'ack pending',
      'redelivered',
      'behind',
      'seconds behind',
      'parked',
    ],
    reports.map((r) => [
      r.stream,
      maxLag && exceeds(r, maxLag) ? `${r.consumer} (!)` : r.consumer,
      r.lastSeq,
      r.appliedSeq,
      r.appliedFrom,
      r.pending,
      r.ackPending,
      r.redelivered,
      r.behind,
      r.secondsBehind.toFixed(1),
      r.parked,
    ]),
  );
  const lagging = maxLag ? reports.filter((r) => exceeds(r, maxLag)).length : 0;
  return lagging > 0 ? `${table}\n\n${lagging} consumer(s) past --max-lag` : table;
}
