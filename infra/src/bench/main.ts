// `npm run bench`: measures the system against the raw limits of this machine and prints JSON and a Markdown
// table. It asserts nothing: targets are reported as pass/fail, and the exit code is 0 whenever it could measure.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
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
import { fillEventStream, measureColdRenames, type ColdStart } from './cold-start.js';
import { measureCommands, writeBurst, type CommandThroughput } from './command-load.js';
import { measureCatchUp, measureRawUpsert, type CatchUp, type RawUpsert } from './projection-catchup.js';
import { measureGraphql, type GraphqlResults } from './graphql-load.js';
import { measureRawPublish } from './raw-publish.js';
import { runRealtimeBench } from './realtime-main.js';
import { row, type ReportRow } from './report.js';
import { runRulesBench } from './rules-bench.js';
import { round } from './stats.js';
import { waitForProjections, type SettleResult } from './settle.js';
import { runRebuildBench } from './rebuild-bench.js';
import { runSchedulerBench } from './scheduler-tick.js';
import { runNestedBench } from './nested-query.js';
import { runRedisModelBench } from './redis-model.js';
import { runHistoryBench } from './entity-history.js';
import { runCacheBench } from './cache-hit-rate.js';
import { machineInfo, writeResults } from './runner.js';

const { values: args } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'open-loop-ms': { type: 'string', default: '10000' },
    rate: { type: 'string', default: '1000' },
    'skip-graphql': { type: 'boolean', default: false },
    'cpu-prof-dir': { type: 'string' },
    phases: { type: 'string', default: 'raw,commands,graphql' },
    'cold-start': { type: 'boolean', default: false },
    'cold-stream-events': { type: 'string', default: '1000000' },
    'aggregate-cache-size': { type: 'string' },
    'prefill-events': { type: 'string' },
    /** `scheduler`, `realtime`, `rules` or `rebuild`: only that part's rows, in a system of its own. */
    only: { type: 'string' },
    subscribers: { type: 'string', default: '10000' },
    'rebuild-events': { type: 'string', default: '100000' },
    /** `--only redis`: `shared` (the Redis projection beside the Postgres one in one process) or `split`. */
    'redis-projector': { type: 'string', default: 'shared' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  process.stdout
    .write(`Usage: npm run bench -- [--duration-ms 5000] [--open-loop-ms 10000] [--rate 1000] [--skip-graphql] [--cpu-prof-dir DIR]
                       [--phases raw,commands,graphql] [--cold-start] [--cold-stream-events 1000000]
                       [--aggregate-cache-size N] [--prefill-events N]
                        [--only scheduler] [--only realtime [--subscribers 10000]] [--only rules] [--only history]

Starts the system in a fresh namespace and schema (NODE_ENV=production, LOG_LEVEL=warn), measures raw JetStream
publish, the command floor (a bare responder that publishes once per request), commands over NATS, raw Postgres
batched upserts, projection catch-up after a pause, GraphQL mutations over HTTP, open-loop latency without and
with the entity read back (read-your-writes), prints
JSON and a Markdown table, writes bench-results/bench-<timestamp>.json, and removes the namespace's streams and
schema. Each phase also reports the CPU time every process spent per operation. --cpu-prof-dir writes a V8 CPU
profile of each service (node --cpu-prof) into DIR when the services stop.

--phases picks what to measure (default all three): raw (raw publish, the update/create pair, the command
floor), commands (creates and renames through the command service), graphql (projection, Postgres, GraphQL;
needs the query service). Without graphql only the command service is started.
--cold-start adds the cold-start rows (off by default: filling the stream takes minutes; it drops the graphql
phase, whose projector would apply the filler commits meanwhile): the first 10,000
renames after a command-service restart, on kingdoms of four commits each in a stream filled with raw commits
to a tenth of --cold-stream-events messages, then on others of the same kingdoms after filling it to
--cold-stream-events.
--aggregate-cache-size sets the command service's AGGREGATE_CACHE_SIZE: smaller than the kingdoms the create
phase makes, every rename misses the cache (the renames walk the kingdoms in creation order, the LRU's worst
case), as on a machine fast enough to create more kingdoms than the default cache holds.
--prefill-events fills the event stream with raw commits to N messages before the first phase, so that the
command phases run on a stream of a given size.
--only scheduler runs only the scheduler's growth-tick benchmark (infra/src/bench/scheduler-tick.ts).
--only nested runs only the nested 1,000-settlement query against one hand-written query per level
(infra/src/bench/nested-query.ts).
--only redis runs only the Redis read-model benchmark (infra/src/bench/redis-model.ts): by-id reads served from
Redis beside { __typename } and raw Redis reads, and the Redis projection's catch-up beside raw pipelined writes.
With --redis-projector split the Redis projection runs in a process of its own (query-redis-projector); with
--skip-graphql only the catch-up rows are measured.
--only realtime measures only the realtime gateway (mutation ack → SSE client at --rate for --duration-ms, beside
raw JetStream delivery; a broadcast to --subscribers SSE connections and gateway memory per connection).
--only rules measures the rules service alone (engine in one process, computedFields on 1,000 settlements) in
a system of its own.
--only history runs only the entityHistory benchmark (infra/src/bench/entity-history.ts), --duration-ms per phase.
--only cache runs only the cache hit-rate benchmark on a read-mostly Zipf mix (infra/src/bench/cache-hit-rate.ts).
--only rebuild runs only the read-model rebuild benchmark (infra/src/bench/rebuild-bench.ts): cm rebuild postgres of
--rebuild-events events (default 100,000; the issue's figure is 1,000,000) beside the raw ordered-consumer read and
batched upsert rates of the same run, then cm rebuild redis of the same stream beside the raw pipelined Redis write rate.
`);
  process.exit(0);
}
if (args.only === 'scheduler')
  process.exit(await runSchedulerBench((s) => void process.stderr.write(`[bench] ${s}\n`)));
if (args.only === 'nested') process.exit(await runNestedBench((s) => void process.stderr.write(`[bench] ${s}\n`)));
if (args.only === 'rebuild')
  process.exit(
    await runRebuildBench(Number(args['rebuild-events']), (s) => void process.stderr.write(`[bench] ${s}\n`)),
  );
if (args.only === 'redis')
  process.exit(
    await runRedisModelBench((s) => void process.stderr.write(`[bench] ${s}\n`), Number(args['duration-ms']), {
      shape: args['redis-projector'] === 'split' ? 'split' : 'shared',
      catchUpOnly: args['skip-graphql'],
    }),
  );
if (args.only === 'history')
  process.exit(await runHistoryBench((s) => void process.stderr.write(`[bench] ${s}\n`), Number(args['duration-ms'])));
if (args.only === 'cache') process.exit(await runCacheBench((s) => void process.stderr.write(`[bench] ${s}\n`)));
const durationMs = Number(args['duration-ms']);
const openLoopMs = Number(args['open-loop-ms']);
const rate = Number(args.rate);
const phases = new Set(args.phases!.split(',').map((p) => p.trim()));
const coldStart = args['cold-start'] === true;
// The projector would apply the million filler commits while the cold renames are measured.
if (coldStart) phases.delete('graphql');
const coldStreamEvents = Number(args['cold-stream-events']);
/** Renames measured after each restart: every one on an aggregate the restarted service has not loaded. */
const COLD_COMMANDS = 10_000;

// `--only rules`: the rules service's rows alone, in a system of their own (rules-bench.ts).
if (args.only === 'rules')
  process.exit(await runRulesBench({ durationMs, log: (s) => void process.stderr.write(`[bench] ${s}\n`) }));

const log = (s: string): void => void process.stderr.write(`[bench] ${s}\n`);
if (args.only === 'realtime')
  process.exit(await runRealtimeBench({ durationMs, rate, subscribers: Number(args.subscribers), log }));
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
const FULL_SYSTEM: ServiceName[] = [
  'command-service',
  'query-api',
  'query-projector',
  'rules-service',
  'scheduler-service',
  'realtime-gateway',
];

/** Starts the full system, or the command service alone when the query service is not built or will not start. */
async function start(): Promise<{ system: System; graphqlSkipped?: string }> {
  // Rate limits off: the bench sends every request as one user, far past any budget, to measure the floor.
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    JWT_SECRET,
    RATE_LIMIT_ENABLED: 'false',
  };
  if (args['aggregate-cache-size']) env.AGGREGATE_CACHE_SIZE = args['aggregate-cache-size'];
  if (args['cpu-prof-dir']) env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${args['cpu-prof-dir']}`;
  const base = { ...names, env, output: 'files' as const };
  const commandOnly: ServiceName[] = ['command-service'];
  if (!phases.has('graphql'))
    return { system: await startSystem({ ...base, services: commandOnly }), graphqlSkipped: `--phases ${args.phases}` };
  if (args['skip-graphql'])
    return { system: await startSystem({ ...base, services: commandOnly }), graphqlSkipped: '--skip-graphql' };
  if (!existsSync(join(repoRoot, 'query-service/dist/main.js'))) {
    return {
      system: await startSystem({ ...base, services: commandOnly }),
      graphqlSkipped: 'query-service is not built (query-service/dist/main.js missing)',
    };
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
  log(
    `system ready: ${Object.entries(system.urls)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; logs in ${system.logDir}`,
  );
  nats = await connectNats(natsUrl(), 'bench', toolLogger('bench'));

  const sys = system;
  const servicePids = Object.fromEntries(Object.keys(sys.urls).map((name) => [name, sys.pid(name as ServiceName)]));
  const cpuWith = (extra: Record<string, number | undefined>) => cpuSampler({ ...servicePids, ...extra });
  const cpu = cpuWith({});
  if (args['prefill-events']) {
    log(`filling the event stream to ${args['prefill-events']} messages with raw commits`);
    const { fill } = await fillEventStream(nats, nats_, Number(args['prefill-events']), log);
    log(`  ${fill.events} commits in ${fill.seconds} s`);
  }
  const raw = phases.has('raw') ? await measureRawPublish(nats, nats_, natsUrl(), durationMs, log, cpuWith) : undefined;
  const commands: CommandThroughput | undefined = phases.has('commands')
    ? await measureCommands(nats, nats_, durationMs, log, cpu)
    : undefined;

  let coldSmall: ColdStart | undefined;
  let coldLarge: ColdStart | undefined;
  let coldFill: { events: number; seconds: number; rate: number } | undefined;
  if (coldStart) {
    // The same kind of aggregate (four commits, in the first tenth of the stream) cold on a stream of a tenth of
    // the size and on the full one: half of the first fill's kingdoms for each, so that both find them untouched.
    const restart = () => sys.restart('command-service');
    const cpuAfterRestart = () => cpuWith({ 'command-service': sys.pid('command-service') });
    log(`filling the event stream to ${coldStreamEvents / 10} messages with raw commits`);
    const early = await fillEventStream(nats, nats_, coldStreamEvents / 10, log);
    const cold = Math.min(COLD_COMMANDS, Math.floor(early.kingdoms / 2));
    const spread = (parity: number) => (n: number) =>
      `k${2 * Math.floor((n * Math.floor(early.kingdoms / 2)) / cold) + parity}`;
    coldSmall = await measureColdRenames({
      nats,
      names: nats_,
      campaignId: early.campaignId,
      commands: cold,
      kingdomIds: spread(0),
      restart,
      log,
      cpu: cpuAfterRestart,
    });
    log(`filling the event stream to ${coldStreamEvents} messages with raw commits`);
    const rest = await fillEventStream(nats, nats_, coldStreamEvents, log, early);
    coldFill = {
      events: early.fill.events + rest.fill.events,
      seconds: round(early.fill.seconds + rest.fill.seconds, 1),
      rate: round((early.fill.events + rest.fill.events) / (early.fill.seconds + rest.fill.seconds), 1),
    };
    log(`  ${coldFill.events} commits in ${coldFill.seconds} s`);
    coldLarge = await measureColdRenames({
      nats,
      names: nats_,
      campaignId: early.campaignId,
      commands: cold,
      kingdomIds: spread(1),
      restart,
      log,
      cpu: cpuAfterRestart,
    });
  }

  let projection: SettleResult | undefined;
  let rawUpsert: RawUpsert | undefined;
  let catchUp: CatchUp | undefined;
  let graphql: GraphqlResults | undefined;
  if (!started.graphqlSkipped) {
    log('waiting for the projections to apply the command phases');
    projection = await waitForProjections(nats, nats_, 300_000, log);
    log(
      `  ${projection.drained ? 'drained' : 'NOT drained'}: ${projection.pendingAtStart} events in ${projection.seconds} s`,
    );
    rawUpsert = await measureRawUpsert(names.schema, durationMs, log, cpu);
    const projectorPid = system.pid('query-projector');
    if (projectorPid) {
      catchUp = await measureCatchUp({
        nats,
        names: nats_,
        projectorPid,
        write: () => writeBurst(nats!, nats_, CATCH_UP_BACKLOG, 6_000),
        log,
        cpu,
      });
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

  const per = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : undefined);
  const rows: ReportRow[] = [
    row('raw JetStream publish-with-ack, 1 in flight', raw?.inFlight1.rate, 'msgs/s'),
    row('raw JetStream publish-with-ack, 64 pipelined', raw?.inFlight64.rate, 'msgs/s'),
    row('raw publish @64 to subjects holding a message, expecting their last sequence', raw?.update64.rate, 'msgs/s', {
      rawLimit: raw?.createAfterUpdates64.rate,
    }),
    row('raw publish @64 to fresh subjects, same stream after those updates', raw?.createAfterUpdates64.rate, 'msgs/s'),
    row('commands via NATS, 1 sender', commands?.create1.rate, 'cmds/s', { rawLimit: raw?.inFlight1.rate }),
    row('commands via NATS, 64 senders', commands?.create64.rate, 'cmds/s', {
      target: { op: '>=', value: 10_000 },
      rawLimit: raw?.inFlight64.rate,
    }),
    row('commands @64 / pipelined raw publish', per(commands?.create64.rate, raw?.inFlight64.rate), '×', {
      target: { op: '>=', value: 0.35 },
    }),
    row('command floor @64: request/reply + one publish, bare responder', raw?.commandFloor64.rate, 'req/s', {
      rawLimit: raw?.inFlight64.rate,
    }),
    row('commands @64 / command floor', per(commands?.create64.rate, raw?.commandFloor64.rate), '×'),
    row('CPU per command @64, all processes', commands?.create64.cpu?.usPerOp.total, 'µs'),
    row('CPU per request of the command floor @64, all processes', raw?.commandFloor64.cpu?.usPerOp.total, 'µs'),
    row('command p99 latency, 64 senders', commands?.create64.latencyMs.p99, 'ms', {
      rawLimit: raw?.inFlight64.latencyMs.p99,
    }),
    row('renames via NATS, 64 senders (spread aggregates)', commands?.rename64.rate, 'cmds/s', {
      rawLimit: raw?.inFlight64.rate,
    }),
    row('renames @64 / creates @64', per(commands?.rename64.rate, commands?.create64.rate), '×', {
      target: { op: '>=', value: 0.6 },
    }),
    row('CPU per rename @64, all processes', commands?.rename64.cpu?.usPerOp.total, 'µs'),
    ...(coldStart
      ? [
          row(
            `first ${coldSmall ? coldSmall.cold.ok + coldSmall.cold.errors : COLD_COMMANDS} renames after a restart, every aggregate cold (4 commits), ${coldSmall?.streamMessages ?? '?'}-message stream`,
            coldSmall?.cold.rate,
            'cmds/s',
            {
              rawLimit: commands?.rename64.rate,
            },
          ),
          row(`the same, ${coldLarge?.streamMessages ?? '?'}-message stream`, coldLarge?.cold.rate, 'cmds/s', {
            rawLimit: coldSmall?.cold.rate,
          }),
          row('nats-server CPU per cold rename, large stream', coldLarge?.cold.cpu?.usPerOp['nats-server'], 'µs', {
            rawLimit: coldSmall?.cold.cpu?.usPerOp['nats-server'],
          }),
          row('cold rename p99 latency, large stream', coldLarge?.cold.latencyMs.p99, 'ms', {
            rawLimit: coldSmall?.cold.latencyMs.p99,
          }),
          row('raw commits written to fill the stream', coldFill?.rate, 'msgs/s'),
        ]
      : []),
    row('raw Postgres batched upsert, 500 rows per statement', rawUpsert?.rate, 'rows/s'),
    row(
      `projection catch-up after a pause (${catchUp?.backlog ?? CATCH_UP_BACKLOG}-event backlog)`,
      catchUp?.rate,
      'events/s',
      { rawLimit: rawUpsert?.rate ?? null },
    ),
    row('GraphQL mutations over HTTP, 64 connections', graphql?.mutations64.rate, 'mutations/s', {
      target: { op: '>=', value: 3_000 },
      rawLimit: graphql?.trivial64.rate ?? null,
    }),
    row('GraphQL mutation p99 latency, 64 connections', graphql?.mutations64.latencyMs.p99, 'ms', {
      rawLimit: graphql?.trivial64.latencyMs.p99 ?? null,
    }),
    row(`mutation p99 at ${rate}/s open loop`, graphql?.openLoopMutations.latencyMs.p99, 'ms', {
      target: { op: '<=', value: 25 },
      rawLimit: graphql?.openLoopTrivial.latencyMs.p99 ?? null,
    }),
    row(`mutations completed at ${rate}/s open loop`, graphql?.openLoopMutations.rate, '/s'),
    row(
      `mutation p99 at ${rate}/s open loop, entity selected (waits for the read model)`,
      graphql?.openLoopReadYourWrites.latencyMs.p99,
      'ms',
      {
        rawLimit: graphql?.openLoopMutations.latencyMs.p99 ?? null,
      },
    ),
  ];

  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { ...machineInfo(nats), memoryGiB: Math.round(os.totalmem() / 2 ** 30) },
    settings: {
      namespace: names.namespace,
      schema: names.schema,
      phases: [...phases],
      coldStart,
      coldStreamEvents,
      durationMs,
      openLoopMs,
      openLoopRate: rate,
      services: Object.keys(system.urls),
      graphqlSkipped: started.graphqlSkipped ?? null,
    },
    raw: raw ?? null,
    commands: commands ?? null,
    coldStart: coldStart
      ? { smallStream: coldSmall ?? null, largeStream: coldLarge ?? null, fill: coldFill ?? null }
      : null,
    projection: projection ?? null,
    rawUpsert: rawUpsert ?? null,
    catchUp: catchUp ?? null,
    graphql: graphql ?? null,
    rows,
  };
  writeResults('bench', startedAt, results, log);
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
