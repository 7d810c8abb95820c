// The scaffolding every `npm run bench -- --only <name>` runner shares, so that each bench file holds only what it
// measures: fresh names, the services' environment, the results file and its printout, and the cleanup that runs
// whether the measurement finished or not.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { natsNames, type NatsNames } from '@cm/contracts';
import { closeNats, connectNats, type Nats } from '@cm/platform';
import { isolatedNames } from '../isolation.js';
import { startSystem, type System, type SystemOptions } from '../launcher.js';
import { dropNamespace } from '../namespace-cleanup.js';
import { natsUrl, toolLogger } from '../nats-admin.js';
import { repoRoot } from '../paths.js';
import { markdownTable, type ReportRow } from './report.js';
import { round } from './stats.js';

/** What a bench gets from `runBench`; everything it opens through it is closed when the run ends. */
export interface BenchContext {
  /** The run's namespace and read-model schema, dropped when the run ends. */
  readonly names: { namespace: string; schema: string };
  readonly nn: NatsNames;
  /** The secret the run's services sign tokens with. */
  readonly jwtSecret: string;
  /**
   * Every service's variables: production mode, warn logs, the run's JWT secret, and rate limits off (on by default
   * in production), because the bench drives one user far past any budget to measure the floor.
   */
  readonly env: Readonly<Record<string, string>>;
  readonly log: (s: string) => void;
  /** The run's NATS connection, opened on first use. */
  nats(): Promise<Nats>;
  /** Starts services in the run's names with `env` under `opts.env`, logging to files. Stopped last-started first. */
  start(opts: Omit<SystemOptions, 'namespace' | 'schema' | 'output'>): Promise<System>;
  /** Runs `fn` when the run ends, after the systems stop and before the namespace is dropped; last deferred first. */
  defer(fn: () => unknown): void;
}

/** A bench's findings: `settings` and `data`'s keys go into the results file beside the rows. */
export interface BenchOutput {
  settings: Record<string, unknown>;
  data: Record<string, unknown>;
  rows: ReportRow[];
}

export interface BenchSpec {
  /** The results file is `bench-results/bench-<name>-<start time>.json`. */
  name: string;
  /** `isolatedNames` label: 1-7 lowercase letters, in stream names. */
  label: string;
  /** How the failure message names the bench; default `name`. */
  title?: string;
  log: (s: string) => void;
}

/**
 * Runs one bench in a namespace of its own and writes `{ startedAt, finishedAt, machine, settings, ...data, rows }`
 * to bench-results/, then prints it as JSON and the rows as a Markdown table. Returns the process exit code: 1 when
 * the bench threw (it could not measure), else 0 (targets are reported, not enforced).
 */
export async function runBench(spec: BenchSpec, measure: (ctx: BenchContext) => Promise<BenchOutput>): Promise<number> {
  const { log } = spec;
  const startedAt = new Date();
  const names = isolatedNames(spec.label);
  const jwtSecret = randomBytes(24).toString('hex');
  const env = { NODE_ENV: 'production', LOG_LEVEL: 'warn', JWT_SECRET: jwtSecret, RATE_LIMIT_ENABLED: 'false' };
  const systems: System[] = [];
  const deferred: (() => unknown)[] = [];
  let nats: Promise<Nats> | undefined;
  const ctx: BenchContext = {
    names,
    nn: natsNames(names.namespace),
    jwtSecret,
    env,
    log,
    nats: () => (nats ??= connectNats(natsUrl(), `bench-${spec.name}`, toolLogger('bench'))),
    start: async (opts) => {
      const system = await startSystem({ ...opts, ...names, env: { ...env, ...opts.env }, output: 'files' });
      systems.push(system);
      return system;
    },
    defer: (fn) => void deferred.push(fn),
  };
  try {
    const { settings, data, rows } = await measure(ctx);
    const connected = await nats;
    const results = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: machineInfo(connected),
      settings: { namespace: names.namespace, ...settings },
      ...data,
      rows,
    };
    writeResults(`bench-${spec.name}`, startedAt, results, log);
    return 0;
  } catch (e) {
    log(`${spec.title ?? spec.name} benchmark could not run: ${(e as Error).message}`);
    return 1;
  } finally {
    const connected = await nats?.catch(() => undefined);
    if (connected) await closeNats(connected);
    for (const system of systems.reverse())
      await system.stop().catch((e: unknown) => log(`stopping the system: ${(e as Error).message}`));
    for (const fn of deferred.reverse())
      await Promise.resolve()
        .then(fn)
        .catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
    await dropNamespace(names).catch((e: unknown) => log(`cleanup failed: ${(e as Error).message}`));
  }
}

/** The machine a run measured on (with the NATS server's version when it used NATS), to read its figures by. */
export function machineInfo(nats?: Nats): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    ...(nats ? { natsServer: nats.nc.info?.version } : {}),
  };
}

/** Writes `results` to bench-results/<stem>-<start time>.json and prints it as JSON and its rows as a table. */
export function writeResults(stem: string, startedAt: Date, results: { rows: ReportRow[] }, log: (s: string) => void) {
  const json = JSON.stringify(results, null, 2);
  const dir = join(repoRoot, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${stem}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${json}\n`);
  process.stdout.write(`${json}\n\n${markdownTable(results.rows)}\n`);
  log(`results written to ${file}`);
}
