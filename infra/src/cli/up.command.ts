import { startSystem, type System } from '../launcher.js';
import {
  defaultPorts,
  DEFAULT_SERVICES,
  isServiceName,
  SERVICE_NAMES,
  SERVICES,
  type ServiceName,
} from '../launcher/services.js';
import { portInUse } from '../launcher/free-port.js';
import { describeExit } from '../launcher/service-process.js';
import { DEMO_BRANCH_ID, DEMO_CAMPAIGN_ID, DEMO_USER, seedDemoCampaign } from '../seed/demo-campaign.js';
import { CliFailure, namespaceOption, parseCommandArgs, portOption, UsageError, type CliCommand } from './command.js';

const ports = defaultPorts();
/** What `cm up` (and so `npm start`) runs unless told otherwise: every service. */
const UP_SERVICES: readonly ServiceName[] = [
  ...DEFAULT_SERVICES,
  'rules-service',
  'scheduler-service',
  'realtime-gateway',
];

/** The services whose port `cm up` takes as an option (`--<key>-port`). */
const PORT_OPTIONS: ReadonlySet<string> = new Set(['query', 'command', 'realtime', 'rules', 'scheduler']);

const help = `
Usage: cm up [--no-seed] [--namespace cm] [--schema public] [--query-port ${ports.query}] [--command-port ${ports.command}]
             [--realtime-port ${ports.realtime}] [--rules-port ${ports.rules}] [--scheduler-port ${ports.scheduler}] [--services ${UP_SERVICES.join(',')}]

Runs the system in the foreground as real processes (the same launcher the e2e tests and the benchmark use),
after provisioning the namespace's NATS resources as \`cm provision\` does, seeds the demo campaign, and prints
where to point a GraphQL client and a browser. Ctrl-C (or SIGTERM) stops every service gracefully; a second
Ctrl-C kills them. NATS, PostgreSQL and Redis must be up
(bash infra/scripts/ensure-stack.sh, or npm start which does everything).

Options:
  --no-seed               do not write the demo campaign
  --namespace <ns>        CM_NAMESPACE: prefix of streams, subjects and buckets (default $CM_NAMESPACE or cm)
  --schema <name>         DATABASE_SCHEMA of the read model (default $DATABASE_SCHEMA or public)
  --query-port <port>     GraphQL and query-service ops port (default ${ports.query})
  --command-port <port>   command-service ops port (default ${ports.command})
  --realtime-port <port>  realtime gateway port: SSE, graphql-sse, the live page (default ${ports.realtime})
  --rules-port <port>     rules-service ops port (default ${ports.rules})
  --scheduler-port <port> scheduler-service ops port (default ${ports.scheduler})
  --services <list>       comma-separated, from: ${SERVICE_NAMES.join(', ')}
  -h, --help              show this help

Environment: NATS_URL, DATABASE_URL, REDIS_URL, JWT_SECRET, LOG_LEVEL, LOG_FORMAT, NODE_ENV are passed on;
EVENT_STREAM_REPLICAS, DUPLICATE_WINDOW_MS, PROJECTOR_LEASE_TTL_MS, PROJECTIONS and SCHEDULER_JOB_ACK_WAIT_MS set
what is provisioned.
`;

export const upCommand: CliCommand = {
  name: 'up',
  summary: 'run the whole system in the foreground, seeded, until Ctrl-C',
  help,
  async run(argv) {
    const args = parseCommandArgs(this, argv, {
      seed: { type: 'boolean', default: true },
      namespace: { type: 'string' },
      schema: { type: 'string' },
      'query-port': { type: 'string' },
      'command-port': { type: 'string' },
      'realtime-port': { type: 'string' },
      'rules-port': { type: 'string' },
      'scheduler-port': { type: 'string' },
      services: { type: 'string' },
    });
    if (!args) return 0;
    const services = parseServices(args.values.services as string | undefined);
    const namespace = namespaceOption(args.values.namespace as string | undefined);
    const chosen = {
      ...ports,
      query: portOption(args.values['query-port'] as string | undefined, 'query-port', ports.query),
      command: portOption(args.values['command-port'] as string | undefined, 'command-port', ports.command),
      realtime: portOption(args.values['realtime-port'] as string | undefined, 'realtime-port', ports.realtime),
      rules: portOption(args.values['rules-port'] as string | undefined, 'rules-port', ports.rules),
      scheduler: portOption(args.values['scheduler-port'] as string | undefined, 'scheduler-port', ports.scheduler),
    };
    // Say plainly which port is taken (often by another `cm up`) instead of showing a service's EADDRINUSE.
    for (const s of services) {
      const { portKey } = SERVICES[s];
      const port = chosen[portKey];
      if (port !== 0 && (await portInUse(port))) {
        const flag = PORT_OPTIONS.has(portKey) ? ` (choose another with --${portKey}-port, or 0 for any)` : '';
        throw new CliFailure(`port ${port} for ${s} is in use; is the system already running?${flag}`);
      }
    }

    let stopping: Promise<number> | undefined;
    let system: System | undefined;
    const shutdown = (code: number): Promise<number> => {
      stopping ??= (async () => {
        process.stderr.write('\n[cm] stopping services…\n');
        await system?.stop();
        process.stderr.write('[cm] stopped\n');
        return code;
      })();
      return stopping;
    };
    const stopped = new Promise<number>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
          // A second signal while stopping means "now": exiting kills the children (the launcher's exit hook).
          if (stopping) process.exit(130);
          void shutdown(0).then(resolve);
        });
      }
      const crashed = (name: ServiceName, exit: { code: number | null; signal: NodeJS.Signals | null }) => {
        if (stopping) return;
        process.stderr.write(`\n[cm] ${name} exited unexpectedly (${describeExit(exit)}); stopping the rest\n`);
        void shutdown(1).then(resolve);
      };

      void (async () => {
        try {
          system = await startSystem({
            namespace,
            ...(args.values.schema ? { schema: args.values.schema as string } : {}),
            services,
            output: 'inherit',
            ports: chosen,
            onUnexpectedExit: crashed,
          });
        } catch (e) {
          process.stderr.write(`\n[cm] ${(e as Error).message}\n`);
          resolve(1);
          return;
        }
        if (stopping) return;
        const hasApi = services.some((s) => SERVICES[s].graphql);
        let seeded: string;
        if (!hasApi) seeded = 'skipped (no GraphQL API in this system)';
        else if (!args.values.seed) seeded = 'skipped (--no-seed)';
        else {
          try {
            const s = await seedDemoCampaign(system.graphqlUrl, await system.token(DEMO_USER));
            seeded = `${DEMO_CAMPAIGN_ID} (${s.created} written, ${s.existing} already there)`;
          } catch (e) {
            seeded = `FAILED: ${(e as Error).message}`;
          }
        }
        if (!stopping) process.stdout.write(await banner(system, services, seeded));
      })();
    });
    const code = await stopped;
    if (code !== 0) throw new CliFailure('the system stopped with an error (see above)', code);
    return 0;
  },
};

function parseServices(value: string | undefined): ServiceName[] {
  if (!value) return [...UP_SERVICES];
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list)
    if (!isServiceName(s))
      throw new UsageError(`unknown service ${JSON.stringify(s)}; known: ${SERVICE_NAMES.join(', ')}`);
  return list as ServiceName[];
}

async function banner(system: System, services: ServiceName[], seeded: string): Promise<string> {
  const local = (url: string) => url.replace('127.0.0.1', 'localhost');
  const hasApi = services.some((s) => SERVICES[s].graphql);
  const token = system.env.JWT_SECRET ? await system.token(DEMO_USER) : undefined;
  const lines = [
    '',
    `  Campaign Manager is up   (namespace ${system.namespace}, read-model schema ${system.schema})`,
    '',
  ];
  if (hasApi) {
    const gql = local(system.graphqlUrl);
    lines.push(
      `  GraphQL endpoint   ${gql}          ← point a GraphQL client here (POST, JSON)`,
      `  GraphiQL           open ${gql} in a browser: in development it opens signed in as ${DEMO_USER}, on the demo campaign`,
    );
  }
  const gateway = services.includes('realtime-gateway') ? system.urls['realtime-gateway'] : undefined;
  if (gateway && system.env.NODE_ENV !== 'production') {
    lines.push(`  Live page          open ${local(gateway)}/ in a browser: the demo campaign's changes as they happen`);
  }
  if (gateway)
    lines.push(
      `  Realtime           ${local(gateway)}/events?campaign=<id> (SSE), ${local(gateway)}/graphql/stream (graphql-sse)`,
    );
  if (token) {
    lines.push(
      `  Demo token         user ${DEMO_USER} (owner of the demo campaign), valid 12 h:`,
      `                     {"Authorization": "Bearer ${token}"}`,
      `                     more: npm run cm -- token <userId>`,
    );
  }
  lines.push(`  Demo campaign      ${seeded}`);
  if (hasApi && !seeded.startsWith('skipped') && !seeded.startsWith('FAILED')) {
    lines.push(
      `                     try: { campaign(id: "${DEMO_CAMPAIGN_ID}") { name kingdoms { nodes { name settlements { nodes { name level } } } } } }`,
    );
    lines.push(
      `                     and the fork: { settlements(campaignId: "${DEMO_CAMPAIGN_ID}", branchId: "${DEMO_BRANCH_ID}") { nodes { name } } }`,
    );
  }
  lines.push('  Ops endpoints');
  for (const s of services) lines.push(`    ${s.padEnd(18)} ${local(system.urls[s]!)}/health  /ready  /metrics`);
  lines.push(
    '  Streams            npm run cm -- streams' +
      (system.namespace === 'cm' ? '' : ` --namespace ${system.namespace}`),
    '  Stop               Ctrl-C',
    '',
  );
  return `${lines.join('\n')}\n`;
}
