import type { Logger } from 'pino';
import { ConfigError } from './config.js';

type StopStep = { name: string; run: () => Promise<void> | void };

/**
 * Graceful shutdown: on SIGTERM or SIGINT, run the registered steps in reverse order of registration (stop
 * intake first, close pools last), bounded by a timeout, then exit.
 */
export class Lifecycle {
  private readonly steps: StopStep[] = [];
  private stopping: Promise<void> | undefined;
  accepting = true;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Registers a shutdown step; steps run last-registered first. */
  onStop(name: string, run: StopStep['run']): void {
    this.steps.push({ name, run });
  }

  installSignalHandlers(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void this.stop(signal).then(() => process.exit(0));
      });
    }
  }

  stop(reason: string): Promise<void> {
    this.stopping ??= this.runSteps(reason);
    return this.stopping;
  }

  private async runSteps(reason: string): Promise<void> {
    this.accepting = false;
    this.logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      this.logger.error({ timeoutMs: this.timeoutMs }, 'shutdown timed out; exiting');
      process.exit(1);
    }, this.timeoutMs);
    timer.unref();
    for (const step of [...this.steps].reverse()) {
      try {
        await step.run();
        this.logger.debug({ step: step.name }, 'stopped');
      } catch (e) {
        this.logger.warn({ step: step.name, err: e }, 'shutdown step failed');
      }
    }
    clearTimeout(timer);
    this.logger.info('shutdown complete');
  }
}

/** Runs a service's main function; configuration errors are printed plainly and exit with status 78. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`fatal: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  });
}
