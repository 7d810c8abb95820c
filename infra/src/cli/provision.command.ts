import { Kvm } from '@nats-io/kv';
import { natsNames } from '@cm/contracts';
import { ensureEventStream, ensureJobStream, projectionConsumerConfig } from '@cm/platform';
import { withNats } from '../nats-admin.js';
import { intOption, namespaceOption, parseCommandArgs, UsageError, type CliCommand } from './command.js';

const help = `
Usage: cm provision [--namespace cm] [--replicas 1] [--duplicate-window-ms 120000] [--lease-ttl-ms 10000]
                    [--projections postgres]

Creates what the services expect on NATS, idempotently: the event stream <PREFIX>_EVENTS (DESIGN §2: file
storage, no discard of history, deny delete/purge, direct get, duplicate window), the scheduler's work-queue
stream <PREFIX>_JOBS (DESIGN §7), the KV bucket of the projector
leases (its max_age is the lease TTL), and the durable consumer of each projection (projection-<name>), so that
operators see them before the first projector starts. Safe to run on every start: the stream's changeable
settings are updated; an existing bucket or consumer is left as it is (its owner manages it).

Options:
  --namespace <ns>              namespace prefix (default $CM_NAMESPACE or cm)
  --replicas <n>                stream and bucket replicas: 1 locally, 3 on a cluster (default $EVENT_STREAM_REPLICAS or 1)
  --duplicate-window-ms <ms>    command-id de-duplication window (default $DUPLICATE_WINDOW_MS or 120000)
  --lease-ttl-ms <ms>           projector lease TTL = bucket max_age (default $PROJECTOR_LEASE_TTL_MS or 10000)
  --projections <list>          comma-separated projection names (default postgres)
  -h, --help                    show this help
`;

export const provisionCommand: CliCommand = {
  name: 'provision',
  summary: 'create the event stream, lease bucket and projection consumers (idempotent)',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      namespace: { type: 'string' },
      replicas: { type: 'string' },
      'duplicate-window-ms': { type: 'string' },
      'lease-ttl-ms': { type: 'string' },
      projections: { type: 'string', default: 'postgres' },
    });
    if (!args) return 0;
    const names = natsNames(namespaceOption(args.values.namespace as string | undefined));
    const replicas = intOption((args.values.replicas as string | undefined) ?? process.env.EVENT_STREAM_REPLICAS, 'replicas', 1);
    const duplicateWindowMs = intOption((args.values['duplicate-window-ms'] as string | undefined) ?? process.env.DUPLICATE_WINDOW_MS, 'duplicate-window-ms', 120_000, 1000);
    const leaseTtlMs = intOption((args.values['lease-ttl-ms'] as string | undefined) ?? process.env.PROJECTOR_LEASE_TTL_MS, 'lease-ttl-ms', 10_000, 1000);
    const projections = (args.values.projections as string).split(',').map((p) => p.trim()).filter(Boolean);
    for (const p of projections) if (!/^[a-z][a-z0-9-]{0,31}$/.test(p)) throw new UsageError(`--projections: ${JSON.stringify(p)} is not a projection name`);

    await withNats('cm-cli:provision', async (nats) => {
      const stream = await ensureEventStream(nats.jsm, names, { replicas, duplicateWindowMs });
      report(names.eventStream, stream);
      report(names.jobStream, await ensureJobStream(nats.jsm, names, { replicas, duplicateWindowMs }));

      // Server 2.9 has no per-key TTL: the bucket's max_age is the lease TTL, as the projector's lease expects.
      // Kvm.create opens an existing bucket as it is, so a bucket the projectors made first is left alone.
      const existing = await nats.jsm.streams.info(`KV_${names.leaseBucket}`).catch(() => undefined);
      const kv = await new Kvm(nats.js).create(names.leaseBucket, { history: 1, replicas, ttl: leaseTtlMs, description: 'projector leases: one active instance per projection' });
      const ttl = (await kv.status()).ttl;
      report(`KV ${names.leaseBucket}`, !existing ? `created (lease TTL ${ttl} ms)` : ttl === leaseTtlMs ? 'unchanged' : `exists with lease TTL ${ttl} ms (not ${leaseTtlMs}); left as it is`);

      for (const projection of projections) {
        const config = projectionConsumerConfig(names, projection);
        const exists = await nats.jsm.consumers.info(names.eventStream, config.durable_name).then(() => true, () => false);
        if (!exists) await nats.jsm.consumers.add(names.eventStream, config);
        report(`consumer ${config.durable_name}`, exists ? 'exists (left to its projector)' : 'created');
      }
    });
    return 0;
  },
};

function report(what: string, result: string): void {
  process.stdout.write(`${what.padEnd(36)} ${result}\n`);
}
