import { provisionFromEnv } from '../provision.js';
import { parseCommandArgs, type CliCommand } from './command.js';

const help = `
Usage: cm provision [--namespace cm] [--replicas 1] [--duplicate-window-ms 120000] [--lease-ttl-ms 10000]
                    [--projections postgres] [--job-ack-wait-ms 30000]

Creates and updates what the services expect on NATS, idempotently, from the one list of resources in
@cm/platform (natsResources): the event stream <PREFIX>_EVENTS (DESIGN §2: file storage, no discard of history,
deny delete/purge, direct get, duplicate window), the KV bucket of the projector leases (its max_age is the lease
TTL), the durable consumer of each projection (projection-<name>) and of the cache invalidation, the command
service's saga consumers (saga-<name>), and the job stream <PREFIX>_JOBS with the scheduler's consumer
(scheduler-workers). A stream's, bucket's or saga or scheduler consumer's setting that differs is updated; an
existing projection consumer is left to its projector, which moves it. The services only verify these and refuse
to start when a setting differs from their configuration, so run this after changing one.

Every option defaults to the variable the services read (through the same configuration loader):
  --namespace <ns>              $CM_NAMESPACE, default cm
  --replicas <n>                $EVENT_STREAM_REPLICAS, default 1 (stream and bucket replicas; 3 on a cluster)
  --duplicate-window-ms <ms>    $DUPLICATE_WINDOW_MS, default 120000 (command-id de-duplication window)
  --lease-ttl-ms <ms>           $PROJECTOR_LEASE_TTL_MS, default 10000 (projector lease TTL = bucket max_age)
  --projections <list>          $PROJECTIONS, default postgres,redis (comma-separated projection names)
  --job-ack-wait-ms <ms>        $SCHEDULER_JOB_ACK_WAIT_MS, default 30000 (ack wait of the scheduler's consumer)
  -h, --help                    show this help
`;

/** Each option stands for the variable the services read; given, it wins over the environment. */
const OPTION_VARIABLES = {
  namespace: 'CM_NAMESPACE',
  replicas: 'EVENT_STREAM_REPLICAS',
  'duplicate-window-ms': 'DUPLICATE_WINDOW_MS',
  'lease-ttl-ms': 'PROJECTOR_LEASE_TTL_MS',
  projections: 'PROJECTIONS',
  'job-ack-wait-ms': 'SCHEDULER_JOB_ACK_WAIT_MS',
} as const;

export const provisionCommand: CliCommand = {
  name: 'provision',
  summary: 'create or update the NATS streams, lease bucket and durable consumers (idempotent)',
  help,
  async run(argv) {
    const options = Object.fromEntries(Object.keys(OPTION_VARIABLES).map((o) => [o, { type: 'string' as const }]));
    const args = parseCommandArgs(this, argv, options);
    if (!args) return 0;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [option, variable] of Object.entries(OPTION_VARIABLES)) {
      const value = args.values[option];
      if (typeof value === 'string') env[variable] = value;
    }
    for (const [label, result] of await provisionFromEnv(env)) report(label, result);
    return 0;
  },
};

function report(what: string, result: string): void {
  process.stdout.write(`${what.padEnd(36)} ${result}\n`);
}
