import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The workspace root, from this file's place in `query-service/src/projector`. */
export const WORKSPACE = fileURLToPath(new URL('../../../', import.meta.url));

export function distEntry(pkg: 'command-service' | 'query-service'): string {
  const entry = `${WORKSPACE}${pkg}/dist/main.js`;
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npx tsc -b ${pkg})`);
  return entry;
}

/**
 * A service run as a real child process with this Node binary, its output kept for failure messages and its
 * readiness polled over HTTP (`/ready`).
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    readonly port: number,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(process.execPath, [this.entry], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      if (this.output.length > 400) this.output.splice(0, this.output.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Polls `/ready` until it answers 200; fails with the process's last output if it exits or takes too long. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null || this.child.signalCode !== null) throw new Error(`${this.name} exited:\n${this.tail()}`);
      const ok = await fetch(`http://127.0.0.1:${this.port}/ready`).then((r) => r.ok, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.exited;
  }

  exitCode(): number | null | undefined {
    return this.child?.exitCode;
  }

  tail(lines = 40): string {
    return this.output.slice(-lines).join('\n');
  }
}
