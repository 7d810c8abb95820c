import { Cron } from 'croner';
import type { AnyJob, CronJobName, CronRunState } from '@cm/contracts';
import type { Logger } from '@cm/platform';
import type { JobQueue } from '../jobs/job-queue.js';
import { StateMovedError } from '../jobs/job-queue.js';
import { batchJobs, worldEventJob } from '../jobs/job-plans.js';
import { LockLostError, type RedisLock } from '../lock/redis-lock.js';
import type { SchedulerReadModel } from '../read-model/read-model.adapter.js';
import type { SchedulerMetrics } from '../scheduler.metrics.js';
import { dueWindows, schedule } from './windows.js';

export interface PlannerOptions {
  /** Prefix of the Redis lock keys: the namespace, so systems side by side never share a lock. */
  lockPrefix: string;
  expressions: Record<CronJobName, string>;
  horizonMs: number;
  batchSize: number;
}

/** What /health shows per cron job. */
export interface CronStatus {
  expression: string;
  lastWindow: string | null;
  nextRun: string | null;
  lastTick: { at: string; outcome: string } | null;
  beyondHorizon: { count: number; first: string; last: string; reportedAt: string } | null;
}

/** Most overdue world events one sweep enqueues; the next sweep (or the timer) takes the rest. */
const SWEEP_LIMIT = 10_000;

/**
 * Plans the cron jobs. On every tick, and once at start (catch-up after downtime), a replica takes the cron's Redis
 * lock, reads the cron's durable state from the job stream, and plans every window since the last planned one,
 * oldest first, up to the catch-up horizon; older windows are reported. Planning claims the windows by moving the
 * state with an expected sequence, publishes their jobs (ids derived from the claim, so a republish is
 * de-duplicated), then marks the claim published; a claim left unpublished by a crash is published by the next
 * tick. The lock keeps replicas from planning at once; the state, not the lock, makes a window run once.
 */
export class CronPlanner {
  readonly status = {} as Record<CronJobName, CronStatus>;
  private readonly timers: Cron[] = [];
  private readonly ticks = new Set<Promise<void>>();

  constructor(
    private readonly queue: JobQueue,
    private readonly lock: RedisLock,
    private readonly readModel: SchedulerReadModel,
    private readonly opts: PlannerOptions,
    private readonly metrics: SchedulerMetrics,
    private readonly logger: Logger,
  ) {
    for (const [cron, expression] of Object.entries(opts.expressions) as [CronJobName, string][]) {
      this.status[cron] = { expression, lastWindow: null, nextRun: null, lastTick: null, beyondHorizon: null };
    }
  }

  start(): void {
    for (const [cron, expression] of Object.entries(this.opts.expressions) as [CronJobName, string][]) {
      // `protect`: a tick still planning when the next fires is not run twice at once in this process.
      this.timers.push(
        new Cron(expression, { protect: true, mode: '5-or-6-parts' }, () => this.track(this.tick(cron))),
      );
      this.track(this.tick(cron));
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) t.stop();
    await Promise.allSettled([...this.ticks]);
  }

  private track(p: Promise<void>): Promise<void> {
    this.ticks.add(p);
    void p.finally(() => this.ticks.delete(p));
    return p;
  }

  /** One tick of one cron job; never throws (the outcome is logged, counted and shown in /health). */
  async tick(cron: CronJobName): Promise<void> {
    let outcome: string;
    // A refused acquisition is one round trip; a tick that held the lock reports its own (ticks of other crons overlap).
    let roundTrips = 1;
    try {
      const held = await this.lock.withLock(`${this.opts.lockPrefix}:scheduler:lock:${cron}`, (lock) =>
        this.plan(cron, lock.signal),
      );
      if (!held) {
        this.metrics.lockContended.inc({ cron });
        outcome = 'another replica holds the lock';
      } else {
        this.metrics.lockAcquired.inc({ cron });
        roundTrips = held.roundTrips;
        outcome = held.result;
        if (!held.releasedCleanly) {
          this.metrics.lockLost.inc({ cron });
          this.logger.error(
            { cron },
            'the cron lock expired while this replica was planning; the state kept the windows from running twice',
          );
        }
      }
    } catch (e) {
      outcome = e instanceof StateMovedError ? 'another replica planned it first' : `failed: ${(e as Error).message}`;
      if (e instanceof LockLostError) {
        // The claim stays unpublished; whoever holds the lock next publishes the same job ids.
        this.metrics.lockLost.inc({ cron });
        this.logger.error(
          { cron },
          'the cron lock was lost while planning; stopped publishing, the next tick finishes the claim',
        );
      } else if (!(e instanceof StateMovedError)) this.logger.error({ err: e, cron }, 'cron tick failed');
    }
    this.metrics.lockRoundTrips.inc({ cron }, roundTrips);
    const next = schedule(this.opts.expressions[cron]).nextRun();
    this.status[cron].nextRun = next?.toISOString() ?? null;
    this.status[cron].lastTick = { at: new Date().toISOString(), outcome };
    if (next) this.metrics.nextRun.set({ cron }, next.getTime() / 1000);
  }

  private async plan(cron: CronJobName, signal: AbortSignal): Promise<string> {
    const current = await this.queue.readState(cron);
    let seq = current?.seq ?? 0;
    if (current && !current.state.published) {
      // A planner died between claiming these windows and publishing all their jobs: finish its work.
      await this.publish(cron, current.state.windows, signal);
      seq = await this.queue.writeState(cron, { ...current.state, published: true }, seq);
      this.logger.warn(
        { cron, windows: current.state.windows },
        'published the jobs of a claim an earlier planner left unfinished',
      );
    }
    const now = new Date();
    const due = dueWindows(
      schedule(this.opts.expressions[cron]),
      current ? new Date(current.state.lastWindow) : null,
      now,
      this.opts.horizonMs,
    );
    if (due.initial) {
      const lastWindow = due.initial.toISOString();
      await this.queue.writeState(cron, { lastWindow, windows: [], published: true }, seq);
      this.recordLast(cron, lastWindow);
      return 'first start: state initialised, nothing run';
    }
    if (current) this.recordLast(cron, current.state.lastWindow);
    if (due.beyondHorizon) {
      const b = due.beyondHorizon;
      this.metrics.windowsSkipped.inc({ cron }, b.count);
      this.status[cron].beyondHorizon = {
        count: b.count,
        first: b.first.toISOString(),
        last: b.last.toISOString(),
        reportedAt: now.toISOString(),
      };
      this.logger.warn(
        {
          cron,
          count: b.count,
          first: b.first.toISOString(),
          last: b.last.toISOString(),
          horizonMs: this.opts.horizonMs,
        },
        'missed windows beyond the catch-up horizon; reported, not run',
      );
    }
    if (due.run.length === 0) {
      if (!due.beyondHorizon) return 'nothing due';
      // Record that the reported windows are dealt with, so they are reported once.
      await this.queue.writeState(
        cron,
        { lastWindow: due.beyondHorizon.last.toISOString(), windows: [], published: true },
        seq,
      );
      return 'windows beyond the horizon reported';
    }
    const windows = due.run.map((d) => d.toISOString());
    const state: CronRunState = { lastWindow: windows.at(-1)!, windows, published: false };
    const claimed = await this.queue.writeState(cron, state, seq);
    const published = await this.publish(cron, windows, signal);
    await this.queue.writeState(cron, { ...state, published: true }, claimed);
    this.metrics.windowsRun.inc({ cron }, windows.length);
    this.recordLast(cron, state.lastWindow);
    this.logger.info({ cron, windows, jobs: published }, 'cron windows planned');
    return `planned ${windows.length} window(s), ${published} job(s)`;
  }

  private recordLast(cron: CronJobName, lastWindow: string): void {
    this.status[cron].lastWindow = lastWindow;
    this.metrics.lastRun.set({ cron }, Date.parse(lastWindow) / 1000);
  }

  /** Publishes the jobs of `windows`; returns how many were new. Stops early when the lock is lost. */
  private async publish(cron: CronJobName, windows: string[], signal: AbortSignal): Promise<number> {
    const now = new Date().toISOString();
    let jobs: AnyJob[];
    if (cron === 'event-expiration') {
      const due = await this.readModel.pendingWorldEvents({ dueBy: new Date(), limit: SWEEP_LIMIT });
      jobs = due.map((row) => worldEventJob(row, now));
    } else {
      const kind = cron === 'settlement-growth' ? 'settlement-growth' : 'structure-maintenance';
      const batches = await this.readModel.batches(
        kind === 'settlement-growth' ? 'settlement' : 'structure',
        this.opts.batchSize,
      );
      jobs = batchJobs(kind, batches, windows, now);
    }
    return publishJobs(this.queue, jobs, this.metrics, signal);
  }
}

/** Publishes jobs 64 at a time; returns how many the stream had not seen (duplicates are other planners' copies). */
export async function publishJobs(
  queue: JobQueue,
  jobs: AnyJob[],
  metrics: SchedulerMetrics,
  signal?: AbortSignal,
): Promise<number> {
  let fresh = 0;
  for (let i = 0; i < jobs.length; i += 64) {
    signal?.throwIfAborted();
    const acks = await Promise.all(jobs.slice(i, i + 64).map((job) => queue.publish(job)));
    acks.forEach((ack, j) => {
      if (ack.duplicate) return;
      fresh += 1;
      metrics.jobsQueued.inc({ kind: jobs[i + j]!.kind });
    });
  }
  return fresh;
}
