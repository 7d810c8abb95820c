import type { ConsumerInfo, StreamInfo } from '@nats-io/jetstream';
import { namespaceStreams } from '../namespace-cleanup.js';
import { withNats } from '../nats-admin.js';
import { namespaceOption, parseCommandArgs, type CliCommand } from './command.js';
import { formatBytes, formatTable } from './table.js';

const help = `
Usage: cm streams [--namespace cm | --all] [--json]

Shows the JetStream streams of a namespace (<PREFIX>_* and its KV buckets): messages, bytes, sequences, and
for each consumer how far it is behind: pending (not yet delivered), ack pending (delivered, not acked) and
redelivered.

Options:
  --namespace <ns>   namespace prefix (default $CM_NAMESPACE or cm)
  --all              every stream on the server
  --json             machine-readable output
  -h, --help         show this help
`;

/** What the command reports per stream. */
export interface StreamReport {
  name: string;
  subjects: string[];
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  lastTs: string;
  replicas: number;
  consumers: ConsumerReport[];
}

export interface ConsumerReport {
  name: string;
  durable: boolean;
  filter: string | undefined;
  pending: number;
  ackPending: number;
  redelivered: number;
  deliveredSeq: number;
  ackFloorSeq: number;
}

export const streamsCommand: CliCommand = {
  name: 'streams',
  summary: 'stream and consumer state: messages, bytes, last seq, pending, ack pending, redelivered',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      namespace: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (!args) return 0;
    const namespace = namespaceOption(args.values.namespace as string | undefined);
    const reports = await withNats('cm-cli:streams', async ({ jsm }) => {
      const names = args.values.all ? await allStreams(jsm.streams.names()) : await namespaceStreams(jsm, namespace);
      const out: StreamReport[] = [];
      for (const name of names) {
        const info = await jsm.streams.info(name);
        const consumers: ConsumerInfo[] = [];
        for await (const c of jsm.consumers.list(name)) consumers.push(c);
        out.push(toReport(info, consumers));
      }
      return out;
    });
    if (args.values.json) {
      process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      return 0;
    }
    if (reports.length === 0) {
      process.stdout.write(
        args.values.all
          ? 'no streams on this server\n'
          : `no streams in namespace ${namespace} (run: npm run cm -- provision --namespace ${namespace})\n`,
      );
      return 0;
    }
    process.stdout.write(`${render(reports)}\n`);
    return 0;
  },
};

async function allStreams(names: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const n of names) out.push(n);
  return out.sort();
}

function toReport(info: StreamInfo, consumers: ConsumerInfo[]): StreamReport {
  const s = info.state;
  return {
    name: info.config.name,
    subjects: info.config.subjects ?? [],
    messages: s.messages,
    bytes: s.bytes,
    firstSeq: s.first_seq,
    lastSeq: s.last_seq,
    lastTs: s.last_ts,
    replicas: info.config.num_replicas,
    consumers: consumers
      .map((c) => ({
        name: c.name,
        durable: Boolean(c.config.durable_name),
        filter: c.config.filter_subject,
        pending: c.num_pending,
        ackPending: c.num_ack_pending,
        redelivered: c.num_redelivered,
        deliveredSeq: c.delivered.stream_seq,
        ackFloorSeq: c.ack_floor.stream_seq,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function render(reports: StreamReport[]): string {
  const streams = formatTable(
    ['stream', 'subjects', 'messages', 'bytes', 'first seq', 'last seq', 'last message', 'replicas', 'consumers'],
    reports.map((r) => [
      r.name,
      r.subjects.join(','),
      r.messages,
      formatBytes(r.bytes),
      r.firstSeq,
      r.lastSeq,
      r.messages ? r.lastTs : '-',
      r.replicas,
      r.consumers.length,
    ]),
  );
  const rows = reports.flatMap((r) =>
    r.consumers.map((c) => [
      r.name,
      c.name,
      c.durable ? 'durable' : 'ephemeral',
      c.filter ?? '>',
      c.pending,
      c.ackPending,
      c.redelivered,
      c.deliveredSeq,
      c.ackFloorSeq,
    ]),
  );
  if (rows.length === 0) return `${streams}\n\nno consumers`;
  const consumers = formatTable(
    ['stream', 'consumer', 'kind', 'filter', 'pending', 'ack pending', 'redelivered', 'delivered seq', 'ack floor seq'],
    rows,
  );
  return `${streams}\n\n${consumers}`;
}
