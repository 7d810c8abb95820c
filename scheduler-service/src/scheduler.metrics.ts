import { Counter, Gauge, type Registry } from '@cm/platform';

/** The scheduler's Prometheus metrics (label `kind` for jobs, `cron` for cron jobs) and the figures /health shows. */
export function schedulerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    jobsQueued: new Counter({
      name: 'cm_scheduler_jobs_queued_total',
      help: 'Jobs published to the job stream (duplicates not counted)',
      labelNames: ['kind'],
      registers,
    }),
    jobsRunning: new Gauge({
      name: 'cm_scheduler_jobs_running',
      help: 'Jobs this replica is running now',
      labelNames: ['kind'],
      registers,
    }),
    jobsSucceeded: new Counter({
      name: 'cm_scheduler_jobs_succeeded_total',
      help: 'Jobs that completed',
      labelNames: ['kind'],
      registers,
    }),
    jobsFailed: new Counter({
      name: 'cm_scheduler_jobs_failed_total',
      help: 'Failed job attempts (each is redelivered with backoff or parked)',
      labelNames: ['kind'],
      registers,
    }),
    jobsDeadLettered: new Counter({
      name: 'cm_scheduler_jobs_dead_lettered_total',
      help: 'Jobs parked on the dead-letter subject',
      labelNames: ['kind'],
      registers,
    }),
    commandsApplied: new Counter({
      name: 'cm_scheduler_commands_applied_total',
      help: 'Commands jobs issued that changed something',
      labelNames: ['kind'],
      registers,
    }),
    lockAcquired: new Counter({
      name: 'cm_scheduler_lock_acquisitions_total',
      help: 'Cron ticks this replica planned under the lock',
      labelNames: ['cron'],
      registers,
    }),
    lockContended: new Counter({
      name: 'cm_scheduler_lock_contention_total',
      help: 'Cron ticks another replica was planning',
      labelNames: ['cron'],
      registers,
    }),
    lockLost: new Counter({
      name: 'cm_scheduler_lock_lost_total',
      help: 'Ticks whose lock expired or was taken while planning',
      labelNames: ['cron'],
      registers,
    }),
    lockRoundTrips: new Counter({
      name: 'cm_scheduler_lock_round_trips_total',
      help: 'Redis round trips spent on cron locks',
      labelNames: ['cron'],
      registers,
    }),
    windowsRun: new Counter({
      name: 'cm_scheduler_windows_planned_total',
      help: 'Cron windows planned (jobs published)',
      labelNames: ['cron'],
      registers,
    }),
    windowsSkipped: new Counter({
      name: 'cm_scheduler_windows_beyond_horizon_total',
      help: 'Missed cron windows older than SCHEDULER_CATCHUP_HORIZON, reported and not run',
      labelNames: ['cron'],
      registers,
    }),
    lastRun: new Gauge({
      name: 'cm_scheduler_last_run_timestamp_seconds',
      help: 'Latest cron window planned (by any replica, as last seen here)',
      labelNames: ['cron'],
      registers,
    }),
    nextRun: new Gauge({
      name: 'cm_scheduler_next_run_timestamp_seconds',
      help: 'Next cron window',
      labelNames: ['cron'],
      registers,
    }),
    nextWorldEventDue: new Gauge({
      name: 'cm_scheduler_world_event_next_due_timestamp_seconds',
      help: 'When the due-time timer fires next (0: nothing pending)',
      registers,
    }),
  };
}
export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;
