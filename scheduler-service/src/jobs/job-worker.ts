import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { AppError, ErrorCode, parseJob, type AnyJob, type JobKind } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { SchedulerMetrics } from '../scheduler.metrics.js';
import { runJob, type JobContext } from './job-handlers.js';
import type { JobQueue } from './job-queue.js';

export interface WorkerOptions {
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  ackWaitMs: number;
}

/** Counters per job kind, for /health. */
export type JobCounts = Record<'succeeded' | 'failed' | 'deadLettered', number> & { running: string[] };

const MAX_BACKOFF_MS = 60_000;

/** Delay before attempt `attempt + 1`: doubling from the base, capped. */
export function backoff(baseMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Pulls jobs from the shared durable consumer, `concurrency` at a time, with explicit acks. While a job runs it
 * sends `working` every third of the ack wait, so a long job is not redelivered, and a replica that dies stops
 * sending them, so its job goes to another replica after the ack wait. A failed attempt is redelivered after a
 * doubling delay; the attempt that reaches the maximum parks the job on its dead-letter subject with the error.
 */
export class JobWorker {
  readonly counts: JobCounts = { succeeded: 0, failed: 0, deadLettered: 0, running: [] };
  private running = false;
  private lanes: Promise<void>[] = [];

  constructor(
    private readonly consumer: Consumer,
    private readonly queue: JobQueue,
    private readonly ctx: JobContext,
    private readonly opts: WorkerOptions,
    private readonly metrics: SchedulerMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.running = true;
    this.lanes = Array.from({ length: this.opts.concurrency }, () => this.lane());
  }

  /** Stops pulling and waits for the jobs in hand to finish (the lifecycle's timeout bounds the wait). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.lanes);
  }

  private async lane(): Promise<void> {
    while (this.running) {
      let m: JsMsg | null;
      try {
        m = await this.consumer.next({ expires: 2000 });
      } catch (e) {
        if (!this.running) return;
        this.logger.warn({ err: e }, 'pulling jobs failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (m) await this.handle(m);
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const attempt = m.info.deliveryCount;
    let job: AnyJob;
    try {
      job = parseJob(m.json());
    } catch (e) {
      // No retry can make an unreadable job readable, and without a job there is nothing to park: log and drop.
      this.logger.error({ err: e, subject: m.subject, seq: m.seq }, 'unreadable job; dropped');
      m.term();
      return;
    }
    const log = this.logger.child({ jobId: job.jobId, correlationId: job.correlationId, kind: job.kind, attempt });
    if (attempt > this.opts.maxAttempts) {
      // Redelivered past the maximum: a replica died while it held the last attempt (or while parking it).
      await this.park(
        m,
        job,
        new AppError(ErrorCode.INTERNAL, 'no attempt completed (the replicas running it stopped)'),
        [],
        log,
      );
      return;
    }
    this.metrics.jobsRunning.inc({ kind: job.kind });
    this.counts.running.push(job.jobId);
    const heartbeat = setInterval(() => m.working(), Math.max(500, Math.floor(this.opts.ackWaitMs / 3)));
    const started = performance.now();
    log.info('job started');
    try {
      const result = await runJob(job, this.ctx);
      m.ack();
      this.counts.succeeded += 1;
      this.metrics.jobsSucceeded.inc({ kind: job.kind });
      this.metrics.commandsApplied.inc({ kind: job.kind }, result.applied);
      log.info({ ...result, ms: Math.round(performance.now() - started) }, 'job succeeded');
    } catch (e) {
      this.counts.failed += 1;
      this.metrics.jobsFailed.inc({ kind: job.kind });
      const completed = ((e as { completed?: string[] }).completed ?? []).concat(job.skip ?? []);
      if (attempt >= this.opts.maxAttempts) {
        await this.park(m, job, e, completed, log);
      } else {
        const delay = backoff(this.opts.backoffMs, attempt);
        log.warn({ err: e, code: codeOf(e), retryInMs: delay }, 'job failed; will retry');
        m.nak(delay);
      }
    } finally {
      clearInterval(heartbeat);
      this.metrics.jobsRunning.dec({ kind: job.kind });
      this.counts.running.splice(this.counts.running.indexOf(job.jobId), 1);
    }
  }

  private async park(m: JsMsg, job: AnyJob, e: unknown, completed: string[], log: Logger): Promise<void> {
    const error = { code: codeOf(e), message: (e as Error)?.message ?? String(e) };
    try {
      await this.queue.park(
        {
          job,
          error,
          attempts: m.info.deliveryCount,
          parkedAt: new Date().toISOString(),
          completed: [...new Set(completed)],
        },
        m.seq,
      );
    } catch (parkError) {
      // Not parked: leave the job to be redelivered, and parked by whoever gets it next.
      log.error({ err: parkError }, 'parking the job failed; it will be redelivered');
      m.nak(this.opts.backoffMs);
      return;
    }
    m.ack();
    this.counts.deadLettered += 1;
    this.metrics.jobsDeadLettered.inc({ kind: job.kind as JobKind });
    log.error({ error, completed: completed.length }, 'job parked on the dead-letter subject after its last attempt');
  }
}

function codeOf(e: unknown): string {
  return e instanceof AppError ? e.code : ErrorCode.INTERNAL;
}
