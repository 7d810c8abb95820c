import { Counter, Histogram, type Registry } from '@cm/platform';

export class CommandMetrics {
  private readonly duration: Histogram<'type' | 'outcome'>;
  private readonly conflicts: Counter;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'cm_command_duration_seconds',
      help: 'Time from receiving a command to replying, by command type and outcome (ok or error code)',
      labelNames: ['type', 'outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.conflicts = new Counter({
      name: 'cm_command_conflict_retries_total',
      help: 'Appends that lost an optimistic-concurrency race and were retried',
      registers: [registry],
    });
  }

  observe(type: string, outcome: string, startedMs: number): void {
    this.duration.observe({ type, outcome }, (performance.now() - startedMs) / 1000);
  }

  conflictRetry(): void {
    this.conflicts.inc();
  }
}
