import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { provisionFromEnv, ServiceProcess as LauncherProcess, type ExitInfo, type ServiceName } from '@cm/infra';

/** The workspace root, from this file's place in `testkit/src` or `testkit/dist`. */
export const WORKSPACE = fileURLToPath(new URL('../../', import.meta.url));

export function distEntry(pkg: 'command-service' | 'query-service'): string {
  const entry = `${WORKSPACE}${pkg}/dist/main.js`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -b ${pkg})`);
  return entry;
}

/**
 * A service run as a real child process by the launcher's supervisor, for tests that start services one by one:
 * its output kept for failure messages, its readiness polled over HTTP (`/ready`). Like the launcher, it first
 * provisions the NATS resources of the service's namespace with the settings its `env` gives, since services only
 * verify them.
 */
export class ServiceProcess {
  private readonly process: LauncherProcess;
  private starting: Promise<void> = Promise.resolve();
  private lastExit: ExitInfo | undefined;

  constructor(
    readonly name: ServiceName,
    entry: string,
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {
    this.process = new LauncherProcess({
      name,
      entry,
      cwd: WORKSPACE,
      env: { ...process.env, ...env },
      url: `http://127.0.0.1:${port}`,
      // `files` without a file: the output is only kept in memory, for `tail`.
      output: 'files',
      readyTimeoutMs: 30_000,
      onUnexpectedExit: (_, exit) => (this.lastExit = exit),
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  start(): void {
    this.lastExit = undefined;
    this.starting = provisionFromEnv({ ...process.env, ...this.env }).then(() => this.process.start());
  }

  /** Polls `/ready` until it answers 200; fails with the process's last output if it exits or takes too long. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    await this.starting;
    this.process.opts.readyTimeoutMs = timeoutMs;
    await this.process.waitReady();
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.starting.catch(() => undefined);
    if (!this.process.running) return;
    this.lastExit = await this.process.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.starting.catch(() => undefined);
    this.lastExit = await this.process.stop(graceMs);
  }

  exitCode(): number | null | undefined {
    return this.lastExit?.code;
  }

  tail(lines = 40): string {
    return this.process.logTail(lines).join('\n');
  }
}
