// `npm run bench`: measures the system against the raw limits of this machine and prints JSON and a Markdown
// table. It asserts nothing: targets are reported as pass/fail, and the exit code is 0 whenever it could measure.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { natsNames } from '@cm/contracts';
import { closeNats, connectNats, type Nats } from '@cm/platform';
import { isolatedNames } from '../isolation.js';
import { startSystem, type ServiceName, type System } from '../launcher.js';
import { dropNamespace } from '../namespace-cleanup.js';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { cpuSampler } from './cpu.js';
import { measureCommands, writeBurst, type CommandThroughput } from './command-load.js';
import { measureCatchUp, measureRawUpsert, type CatchUp, type RawUpsert } from './projection-catchup.js';
import { measureGraphql, type GraphqlResults } from './graphql-load.js';
import { measureRawPublish } from './raw-publish.js';
import { markdownTable, row, type ReportRow } from './report.js';
import { runRulesBench } from './rules-bench.js';
import { waitForProjections, type SettleResult } from './settle.js';

const { values: args } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'open-loop-ms': { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    'skip-graphql': { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout.write(`Usage: npm run bench -- [--duration-ms 5000] [--open-loop-ms 10000] [--rate 1000] [--skip-graphql] [--cpu-prof-dir DIR] [--only rules]

Starts the system in a fresh namespace and schema (NODE_ENV=production, LOG_LEVEL=warn), measures raw JetStream
publish, the command floor (a bare responder that publishes once per request), commands over NATS, raw Postgres
batched upserts, projection catch-up after a pause, GraphQL mutations over HTTP, open-loop latency without and
with the entity read back (read-your-writes), prints
JSON and a Markdown table, writes bench-results/bench-<timestamp>.json, and removes the namespace's streams and
schema. Each phase also reports the CPU time every process spent per operation. --cpu-prof-dir writes a V8 CPU
profile of each service (node --cpu-prof) into DIR when the services stop. --only rules measures the rules service
alone (engine in one process, computedFields on 1,000 settlements) in a system of its own.
`);
  process.exit(0);
}
const durationMs = Number(args['duration-ms']);
const openLoopMs = Number(args['open-loop-ms']);
const rate = Number(args.rate);

// `--only rules`: the rules service's rows alone, in a system of their own (rules-bench.ts).
if (args.only === 'rules') process.exit(await runRulesBench({ durationMs, log: (s) => void process.stderr.write(`[bench] ${s}\n`) }));

const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
const startedAt = new Date();
const names = isolatedNames('bench');
const nats_ = natsNames(names.namespace);
const JWT_SECRET = randomBytes(24).toString('hex');

/** Commands written while the projector is paused, for the catch-up phase (fewer if 6 s are not enough). */
const CATCH_UP_BACKLOG = 20_000;

/**
 * Every service of the production layout, each its own process: the GraphQL API and the projector as separate
 * roles of query-service (DESIGN §4), so each has a core's event loop to itself.
 */
const FULL_SYSTEM: ServiceName[] = ['command-service', 'query-api', 'query-projector', 'rules-service', 'scheduler-service', 'realtime-gateway'];

/** Starts the full system, or the command service alone when the query service is not built or will not start. */
async function start(): Promise<{ system: System; graphqlSkipped?: string }> {
  const env: Record<string, string> = { NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET };
  if (args['cpu-prof-dir']) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${args['cpu-prof-dir']}`;
  const base = { ...names, env, output: 'files' as const };
  const commandOnly: ServiceName[] = ['command-service'];
  if (args['skip-graphql']) return { system: await startSystem({ ...base, services: commandOnly }), graphqlSkipped: '--skip-graphql' };
  if (!existsSync(join(repoRoot, 'query-service/dist/main.js'))) {
    return { system: await startSystem({ ...base, services: commandOnly }), graphqlSkipped: 'query-service is not built (query-service/dist/main.js missing)' };
  }
  try {
    return { system: await startSystem({ ...base, services: FULL_SYSTEM }) };
  } catch (e) {
    const reason = (e as Error).message.split('\n')[0]!;
    log(`full system did not start (${reason}); measuring the command side only`);
    return { system: await startSystem({ ...base, services: commandOnly }), graphqlSkipped: reason };
  }
}

let system: System | undefined;
let nats: Nats | undefined;
let exitCode = 0;
try {
  log(`namespace ${names.namespace}, schema ${names.schema}; starting the system`);
  const started = await start();
  system = started.system;
  log(`system ready: ${Object.entries(system.urls).map(([k, v]) => `${k} ${v}`).join(', ')}; logs in ${system.logDir}`);
  nats = await connectNats(natsUrl(), 'bench', toolLogger('bench'));

  const sys = system;
  const servicePids = Object.fromEntries(Object.keys(sys.urls).map((name) => [name, sys.pid(name as ServiceName)]));
  const cpuWith = (extra: Record<string, number | undefined>) => cpuSampler({ ...servicePids, ...extra });
  const cpu = cpuWith({});
  const raw = await measureRawPublish(nats, nats_, natsUrl(), durationMs, log, cpuWith);
  const commands: CommandThroughput = await measureCommands(nats, nats_, durationMs, log, cpu);

  let projection: SettleResult | undefined;
  let rawUpsert: RawUpsert | undefined;
  let catchUp: CatchUp | undefined;
  let graphql: GraphqlResults | undefined;
  if (!started.graphqlSkipped) {
    log('waiting for the projections to apply the command phases');
    projection = await waitForProjections(nats, nats_, 300_000, log);
    log(`  ${projection.drained ? 'drained' : 'NOT drained'}: ${projection.pendingAtStart} events in ${projection.seconds} s`);
    rawUpsert = await measureRawUpsert(names.schema, durationMs, log, cpu);
    const projectorPid = system.pid('query-projector');
    if (projectorPid) {
      catchUp = await measureCatchUp({ nats, names: nats_, projectorPid, write: () => writeBurst(nats!, nats_, CATCH_UP_BACKLOG, 6_000), log, cpu });
    }
    graphql = await measureGraphql({
      graphqlUrl: system.graphqlUrl,
      token: await system.token('bench-user'),
      durationMs,
      openLoopMs,
      openLoopRate: rate,
      cpu,
      settle: async () => void (await waitForProjections(nats!, nats_, 300_000, log)),
      log,
    });
  } else {
    log(`GraphQL not measured: ${started.graphqlSkipped}`);
  }

  const rows: ReportRow[] = [
    row('raw JetStream publish-with-ack, 1 in flight', raw.inFlight1.rate, 'msgs/s'),
    row('raw JetStream publish-with-ack, 64 pipelined', raw.inFlight64.rate, 'msgs/s'),
    row('commands via NATS, 1 sender', commands.create1.rate, 'cmds/s', { rawLimit: raw.inFlight1.rate }),
    row('commands via NATS, 64 senders', commands.create64.rate, 'cmds/s', { target: { op: '>=', value: 10_000 }, rawLimit: raw.inFlight64.rate }),
    row('commands @64 / pipelined raw publish', commands.create64.rate / raw.inFlight64.rate, '×', { target: { op: '>=', value: 0.35 } }),
    row('command floor @64: request/reply + one publish, bare responder', raw.commandFloor64.rate, 'req/s', { rawLimit: raw.inFlight64.rate }),
    row('commands @64 / command floor', commands.create64.rate / raw.commandFloor64.rate, '×'),
    row('CPU per command @64, all processes', commands.create64.cpu?.usPerOp.total, 'µs'),
    row('CPU per request of the command floor @64, all processes', raw.commandFloor64.cpu?.usPerOp.total, 'µs'),
    row('command p99 latency, 64 senders', commands.create64.latencyMs.p99, 'ms', { rawLimit: raw.inFlight64.latencyMs.p99 }),
    row('renames via NATS, 64 senders (spread aggregates)', commands.rename64.rate, 'cmds/s', { rawLimit: raw.inFlight64.rate }),
    row('raw Postgres batched upsert, 500 rows per statement', rawUpsert?.rate, 'rows/s'),
    row(`projection catch-up after a pause (${catchUp?.backlog ?? CATCH_UP_BACKLOG}-event backlog)`, catchUp?.rate, 'events/s', { rawLimit: rawUpsert?.rate ?? null }),
    row('GraphQL mutations over HTTP, 64 connections', graphql?.mutations64.rate, 'mutations/s', { target: { op: '>=', value: 3_000 }, rawLimit: graphql?.trivial64.rate ?? null }),
    row('GraphQL mutation p99 latency, 64 connections', graphql?.mutations64.latencyMs.p99, 'ms', { rawLimit: graphql?.trivial64.latencyMs.p99 ?? null }),
    row(`mutation p99 at ${rate}/s open loop`, graphql?.openLoopMutations.latencyMs.p99, 'ms', { target: { op: '<=', value: 25 }, rawLimit: graphql?.openLoopTrivial.latencyMs.p99 ?? null }),
    row(`mutations completed at ${rate}/s open loop`, graphql?.openLoopMutations.rate, '/s'),
    row(`mutation p99 at ${rate}/s open loop, entity selected (waits for the read model)`, graphql?.openLoopReadYourWrites.latencyMs.p99, 'ms', {
      rawLimit: graphql?.openLoopMutations.latencyMs.p99 ?? null,
    }),
  ];

  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, natsServer: nats.nc.info?.version },
    settings: { namespace: names.namespace, schema: names.schema, durationMs, openLoopMs, openLoopRate: rate, services: Object.keys(system.urls), graphqlSkipped: started.graphqlSkipped ?? null },
    raw,
    commands,
    projection: projection ?? null,
    rawUpsert: rawUpsert ?? null,
    catchUp: catchUp ?? null,
    graphql: graphql ?? null,
    rows,
  };
  const json = JSON.stringify(results, null, 2);
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  process.stdout.write(`${json}\n\n${markdownTable(rows)}\n`);
  log(`results written to ${file}`);
} catch (e) {
  log(`benchmark could not run: ${(e as Error).message}`);
  exitCode = 1;
} finally {
  if (nats) await closeNats(nats);
  if (system) await system.stop().catch((e: unknown) => log(`stopping the system: ${(e as Error).message}`));
  const dropped = await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  if (dropped) log(`cleaned up: streams ${dropped.streams.join(', ') || 'none'}, schema ${dropped.schema ?? 'none'}`);
}
process.exit(exitCode);
