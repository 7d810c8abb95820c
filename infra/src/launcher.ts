import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVELOPMENT_JWT_SECRET, signToken } from '@cm/platform';
import { freePort } from './launcher/free-port.js';
import { describeExit, ServiceProcess, type ExitInfo } from './launcher/service-process.js';
import { DEFAULT_SERVICES, orderServices, SERVICES, type PortKey, type ServiceName } from './launcher/services.js';
import { dropNamespace } from './namespace-cleanup.js';
import { provisionFromEnv } from './provision.js';
import { repoRoot } from './paths.js';

export type { ServiceName, PortKey } from './launcher/services.js';
export { ServiceProcess, ServiceStartError, type ExitInfo } from './launcher/service-process.js';

/** How to run a system; everything is optional. */
export interface SystemOptions {
  /** `CM_NAMESPACE` of every service (prefix of streams, subjects, buckets). Default: `$CM_NAMESPACE` or `cm`. */
  namespace?: string;
  /** `DATABASE_SCHEMA` of the read model. Default: `$DATABASE_SCHEMA` or `public`. */
  schema?: string;
  /** HTTP ports; 0 or absent picks a free port. */
  ports?: Partial<Record<PortKey, number>>;
  /** Extra variables for every service; they win over the launcher's defaults (but not over ports and roles). */
  env?: Record<string, string>;
  /** Extra variables for one service, on top of `env`. */
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** What to run; default: command-service and query-service (API and projector in one process). */
  services?: readonly ServiceName[];
  /** `inherit`: service output goes to this process's stdout/stderr; `files`: to `<logDir>/<service>.log`. */
  output?: 'inherit' | 'files';
  /** Where log files go with `output: 'files'`; default a directory under the OS temp dir named by namespace. */
  logDir?: string;
  /** How long each service may take to answer `/ready` with 200. Default 60 s. */
  readyTimeoutMs?: number;
  /** How long `stop` waits after SIGTERM before SIGKILL. Default 15 s (services give themselves 10 s). */
  stopGraceMs?: number;
  /** Called when a service exits without being told to (a crash). */
  onUnexpectedExit?: (name: ServiceName, exit: ExitInfo) => void;
}

/** A running system of real service processes. */
export interface System {
  /** `http://127.0.0.1:<port>/graphql`; throws when the system runs no GraphQL API. */
  readonly graphqlUrl: string;
  /** Base URL (`http://127.0.0.1:<port>`) of every service in the system, with /health, /ready, /metrics. */
  readonly urls: Partial<Record<ServiceName, string>>;
  readonly namespace: string;
  readonly schema: string;
  /** The variables the launcher set for every service (not the inherited environment). */
  readonly env: Readonly<Record<string, string>>;
  /** Where the log files are (`output: 'files'`). */
  readonly logDir: string | undefined;
  /** Sends a signal to one service and waits until it has exited; it stays down until `restart`. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Stops a service if it runs (gracefully), starts it again on the same port and waits until it is ready. */
  restart(name: ServiceName): Promise<void>;
  /** The last lines a service wrote, for assertions and error messages. */
  logs(name: ServiceName, lines?: number): string[];
  pid(name: ServiceName): number | undefined;
  /** A bearer token for `userId`, signed with the system's JWT secret. */
  token(userId: string, ttl?: string): Promise<string>;
  /**
   * SIGTERM to every service (API first, command service last), waits for them to exit, SIGKILL after the grace
   * period. With `cleanup`, also deletes the namespace's streams and buckets, drops its schema, and removes the
   * log directory unless `logDir` was given.
   */
  stop(opts?: { cleanup?: boolean }): Promise<void>;
}

/**
 * Starts the system as real child processes (`process.execPath` on each service's `dist/main.js`) and resolves
 * once every service answers `GET /ready` with 200. `npm start`, the e2e tests and the benchmark all run the
 * system through this one function. On failure, whatever was started is stopped and the error names the service
 * with its last log lines.
 */
export async function startSystem(opts: SystemOptions = {}): Promise<System> {
  const namespace = opts.namespace ?? process.env.CM_NAMESPACE ?? 'cm';
  const schema = opts.schema ?? process.env.DATABASE_SCHEMA ?? 'public';
  const order = orderServices(opts.services ?? DEFAULT_SERVICES);
  const missing = order.filter((name) => !existsSync(join(repoRoot, SERVICES[name].main)));
  if (missing.length) {
    throw new Error(
      `not built: ${missing.map((n) => SERVICES[n].main).join(', ')}; run \`npm run build\` (npx nx run-many -t build) first`,
    );
  }
  const output = opts.output ?? 'files';
  const logDir = output === 'files' ? (opts.logDir ?? join(tmpdir(), `cm-${namespace}-logs`)) : undefined;
  if (logDir) mkdirSync(logDir, { recursive: true });

  const nodeEnv = opts.env?.NODE_ENV ?? process.env.NODE_ENV ?? 'development';
  const jwtSecret =
    opts.env?.JWT_SECRET ?? process.env.JWT_SECRET ?? (nodeEnv === 'production' ? undefined : DEVELOPMENT_JWT_SECRET);
  const env: Record<string, string> = {
    CM_NAMESPACE: namespace,
    DATABASE_SCHEMA: schema,
    NODE_ENV: nodeEnv,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    // Pretty logs only where a person reads them as they come; files get JSON lines.
    LOG_FORMAT: process.env.LOG_FORMAT ?? (output === 'inherit' && nodeEnv === 'development' ? 'pretty' : 'json'),
    ...(jwtSecret ? { JWT_SECRET: jwtSecret } : {}),
    // Systems of their own namespace (tests, benches) share the cache database: their keys stay apart too.
    ...(namespace !== 'cm' && !process.env.CACHE_KEY_PREFIX ? { CACHE_KEY_PREFIX: `${namespace}:` } : {}),
    ...opts.env,
  };

  // The services only verify the NATS resources; they are created or brought to these settings here, once.
  await provisionFromEnv({ ...process.env, ...env });

  const ports: Partial<Record<PortKey, number>> = {};
  for (const name of order) {
    const key = SERVICES[name].portKey;
    ports[key] = opts.ports?.[key] || (await freePort());
  }

  const procs = new Map<ServiceName, ServiceProcess>();
  let running = false;
  const urls: Partial<Record<ServiceName, string>> = {};
  for (const name of order) {
    const spec = SERVICES[name];
    const url = `http://127.0.0.1:${ports[spec.portKey]}`;
    urls[name] = url;
    procs.set(
      name,
      new ServiceProcess({
        name,
        entry: join(repoRoot, spec.main),
        cwd: repoRoot,
        env: {
          ...process.env,
          ...env,
          ...opts.serviceEnv?.[name],
          ...spec.env,
          [spec.portEnv]: String(ports[spec.portKey]),
        },
        url,
        output,
        ...(logDir ? { logFile: join(logDir, `${name}.log`) } : {}),
        readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
        onUnexpectedExit: (n, e) => {
          // While starting, an exit fails startSystem with the service's log tail instead.
          if (!running) return;
          if (opts.onUnexpectedExit) opts.onUnexpectedExit(n, e);
          else process.stderr.write(`[launcher] ${n} exited unexpectedly (${describeExit(e)})\n`);
        },
      }),
    );
  }

  // If the launcher's process goes away (a test runner crashing, say), take the services with it.
  const killAll = () => procs.forEach((p) => p.killNow());
  process.on('exit', killAll);

  const graceMs = opts.stopGraceMs ?? 15_000;
  const stopAll = async () => {
    for (const p of procs.values()) p.expectExit();
    // API and workers first, the command service last, so nothing in flight loses its command service.
    const rest = order.filter((n) => n !== 'command-service');
    await Promise.all(rest.map((n) => procs.get(n)!.stop(graceMs)));
    if (procs.has('command-service')) await procs.get('command-service')!.stop(graceMs);
    await Promise.all([...procs.values()].map((p) => p.closeLog()));
    process.off('exit', killAll);
  };

  const get = (name: ServiceName): ServiceProcess => {
    const p = procs.get(name);
    if (!p) throw new Error(`${name} is not part of this system (it runs ${order.join(', ')})`);
    return p;
  };

  try {
    // The command service first: the others send it commands as soon as they are ready.
    const [first, ...others] = order;
    if (first) {
      get(first).start();
      await get(first).waitReady();
    }
    for (const name of others) get(name).start();
    await Promise.all(others.map((name) => get(name).waitReady()));
  } catch (e) {
    await stopAll();
    throw e;
  }
  running = true;

  const api = order.find((n) => SERVICES[n].graphql);
  return {
    get graphqlUrl(): string {
      if (!api) throw new Error(`this system runs no GraphQL API (it runs ${order.join(', ')})`);
      return `${urls[api]}/graphql`;
    },
    urls,
    namespace,
    schema,
    env,
    logDir,
    kill: (name, signal = 'SIGTERM') => get(name).kill(signal),
    async restart(name) {
      const p = get(name);
      await p.stop(graceMs);
      p.start();
      await p.waitReady();
    },
    logs: (name, lines) => get(name).logTail(lines),
    pid: (name) => get(name).pid,
    token: (userId, ttl) => {
      if (!jwtSecret) throw new Error('this system has no JWT_SECRET');
      return signToken(jwtSecret, userId, ttl);
    },
    async stop(stopOpts) {
      await stopAll();
      if (!stopOpts?.cleanup) return;
      if (logDir && !opts.logDir) rmSync(logDir, { recursive: true, force: true });
      await dropNamespace({
        namespace,
        schema,
        ...(env.NATS_URL ? { natsUrl: env.NATS_URL } : {}),
        ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
      });
    },
  };
}
