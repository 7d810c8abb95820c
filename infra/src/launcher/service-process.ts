import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceName } from './services.js';

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  name: ServiceName;
  /** Absolute path of the entry point. */
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Base URL of the service's HTTP server (`/ready` is polled there). */
  url: string;
  output: 'inherit' | 'files';
  /** With `output: 'files'`: where stdout and stderr go (appended across restarts). */
  logFile?: string;
  readyTimeoutMs: number;
  /** Called when the process exits without having been told to. */
  onUnexpectedExit?: (name: ServiceName, exit: ExitInfo) => void;
}

/** Raised when a service does not become ready; the message carries its last log lines. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    reason: string,
    readonly logTail: string[],
  ) {
    super(
      `${service} did not become ready: ${reason}${logTail.length ? `\n--- last ${logTail.length} log lines of ${service} ---\n${logTail.join('\n')}` : ' (it logged nothing)'}`,
    );
    this.name = 'ServiceStartError';
  }
}

const TAIL_LINES = 200;
// Pretty logs are coloured; error messages should not be.
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * One service as a child process of the launcher: spawned with this very Node binary, its output kept (last
 * lines in memory for error messages, all of it in a file or passed through), its readiness polled over HTTP.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private readonly tail: string[] = [];
  private partial = '';
  private logStream: WriteStream | undefined;
  /** Set while we are the ones stopping it, so the exit is not reported as a crash. */
  private expectingExit = false;

  constructor(readonly opts: ServiceProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the process wrote (stdout and stderr interleaved), without colour codes. */
  logTail(lines = 40): string[] {
    return this.tail.slice(-lines);
  }

  start(): void {
    if (this.running) throw new Error(`${this.opts.name} is already running (pid ${this.pid})`);
    this.expectingExit = false;
    if (this.opts.output === 'files' && this.opts.logFile) {
      this.logStream ??= createWriteStream(this.opts.logFile, { flags: 'a' });
      this.logStream.write(`--- ${new Date().toISOString()} starting ${this.opts.name} ---\n`);
    }
    const child = spawn(process.execPath, [this.opts.entry], {
      cwd: this.opts.cwd,
      env: this.opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => this.output(chunk, process.stdout));
    child.stderr!.on('data', (chunk: Buffer) => this.output(chunk, process.stderr));
    this.exitPromise = new Promise((resolve) => {
      child.once('error', (e) => {
        this.remember(`spawn failed: ${e.message}`);
        resolve({ code: null, signal: null });
      });
      // 'close' rather than 'exit': it comes after stdout and stderr ended, so the log tail is complete.
      child.once('close', (code, signal) => {
        if (this.partial) this.remember(this.partial);
        this.partial = '';
        const exit = { code, signal };
        if (!this.expectingExit) this.opts.onUnexpectedExit?.(this.opts.name, exit);
        resolve(exit);
      });
    });
  }

  /** Polls `GET /ready` until it answers 200; fails early when the process exits, late at the timeout. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + this.opts.readyTimeoutMs;
    let last = 'no answer yet';
    let exited: ExitInfo | undefined;
    void this.exitPromise.then((e) => (exited = e));
    while (Date.now() < deadline) {
      if (exited)
        throw new ServiceStartError(
          this.opts.name,
          `exited (${describeExit(exited)}) before it was ready`,
          this.logTail(),
        );
      try {
        const res = await fetch(`${this.opts.url}/ready`, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        if (res.status === 200) return;
        last = `/ready answered ${res.status} ${body.slice(0, 500)}`;
      } catch (e) {
        last = `/ready: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`;
      }
      await Promise.race([sleep(150), this.exitPromise]);
    }
    throw new ServiceStartError(
      this.opts.name,
      `not ready after ${this.opts.readyTimeoutMs} ms (${last})`,
      this.logTail(),
    );
  }

  /** From now on an exit is ours, not a crash (the whole system is going down, maybe by a terminal's Ctrl-C). */
  expectExit(): void {
    this.expectingExit = true;
  }

  /** Sends `signal` and resolves when the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<ExitInfo> {
    if (!this.running) return this.exitPromise;
    this.expectingExit = true;
    this.child!.kill(signal);
    return this.exitPromise;
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if the process is still there after `graceMs`. */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (!this.running) return this.exitPromise;
    this.expectingExit = true;
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.remember(`still running ${graceMs} ms after SIGTERM; sending SIGKILL`);
      this.child?.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort when the launcher's own process exits: no waiting is possible any more. */
  killNow(): void {
    if (this.running) {
      this.expectingExit = true;
      this.child!.kill('SIGKILL');
    }
  }

  /** Closes the log file; call once the process will not be started again. */
  async closeLog(): Promise<void> {
    const stream = this.logStream;
    this.logStream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  private output(chunk: Buffer, passThrough: NodeJS.WriteStream): void {
    if (this.opts.output === 'inherit') passThrough.write(chunk);
    else this.logStream?.write(chunk);
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.remember(line);
  }

  private remember(line: string): void {
    this.tail.push(line.replace(ANSI, ''));
    if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
  }
}

export function describeExit(e: ExitInfo): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}
