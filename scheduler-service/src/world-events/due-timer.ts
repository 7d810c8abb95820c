import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { decodeCommit, type AnyEvent, type NatsNames } from '@cm/contracts';
import type { Logger, Nats } from '@cm/platform';
import { publishJobs } from '../cron/cron-planner.js';
import { worldEventJob } from '../jobs/job-plans.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { SchedulerReadModel, WorldEventRow } from '../read-model/read-model.adapter.js';
import type { SchedulerMetrics } from '../scheduler.metrics.js';

type Pending = Pick<WorldEventRow, 'campaignId' | 'branchId' | 'id' | 'status' | 'scheduledAt' | 'expiresAt'>;

/** Longest sleep: the timer wakes at least this often and re-reads the read model (forks copy world events). */
const RELOAD_MS = 60_000;
const RELOAD_LIMIT = 10_000;

/** When `p` next needs a job: its activation while scheduled, its expiry once active. */
export function dueAt(p: Pending): number | null {
  if (p.status === 'scheduled') return Date.parse(p.scheduledAt);
  if (p.status === 'active' && p.expiresAt) return Date.parse(p.expiresAt);
  return null;
}

/** The pending set after one world-event event: what a timer must still wait for. Pure. */
export function applyWorldEvent(pending: Map<string, Pending>, event: AnyEvent): void {
  const key = `${event.campaignId}/${event.branchId}/${event.entityId}`;
  switch (event.type) {
    case 'WorldEventScheduled':
      pending.set(key, {
        campaignId: event.campaignId,
        branchId: event.branchId,
        id: event.entityId,
        status: 'scheduled',
        scheduledAt: event.data.scheduledAt,
        expiresAt: event.data.expiresAt,
      });
      return;
    case 'WorldEventActivated': {
      const p = pending.get(key);
      if (p) pending.set(key, { ...p, status: 'active' });
      return;
    }
    case 'WorldEventExpired':
    case 'WorldEventResolved':
      pending.delete(key);
      return;
    default:
      return;
  }
}

/**
 * Wakes at the exact due time of the next world event instead of waiting for the expiry cron: it knows the pending
 * events from the read model at start (and every minute), and follows the stream's world-event events from now on
 * with an ordered consumer, so an event scheduled a second ago is on its timer. At the due time it publishes the
 * event's job. Every replica does this; the job id is per event and step, so the job stream stores it once.
 */
export class WorldEventTimer {
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  nextDue: string | null = null;

  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
    private readonly readModel: SchedulerReadModel,
    private readonly queue: JobQueue,
    private readonly metrics: SchedulerMetrics,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // Follow the stream first, then read the read model: an event scheduled in between is in one or the other.
    const consumer = await this.nats.js.consumers.get(this.names.eventStream, {
      filter_subjects: `${this.names.prefix}.evt.*.*.world-event.*`,
      deliver_policy: DeliverPolicy.New,
    });
    this.messages = await consumer.consume({ max_messages: 100 });
    this.loop = (async () => {
      for await (const m of this.messages!) {
        for (const event of decodeCommit(m.data).events) applyWorldEvent(this.pending, event);
        this.arm();
      }
    })().catch((e: unknown) => this.logger.error({ err: e }, 'world-event follower stopped'));
    await this.reload();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.messages?.stop();
    await this.loop;
  }

  private async reload(): Promise<void> {
    try {
      for (const row of await this.readModel.pendingWorldEvents({ limit: RELOAD_LIMIT })) {
        const key = `${row.campaignId}/${row.branchId}/${row.id}`;
        // The stream is newer than the read model: keep what it told us.
        if (!this.pending.has(key)) this.pending.set(key, row);
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'could not read pending world events; the expiry cron still covers them');
    }
    this.arm();
  }

  /** Sets the timer for the earliest due time (at most a minute ahead, then it re-reads). */
  private arm(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    let earliest = Infinity;
    for (const p of this.pending.values()) earliest = Math.min(earliest, dueAt(p) ?? Infinity);
    this.nextDue = Number.isFinite(earliest) ? new Date(earliest).toISOString() : null;
    this.metrics.nextWorldEventDue.set(Number.isFinite(earliest) ? earliest / 1000 : 0);
    const wait = Math.min(RELOAD_MS, Math.max(0, earliest - Date.now()));
    this.timer = setTimeout(() => void this.fire(wait === RELOAD_MS), wait);
  }

  private async fire(reload: boolean): Promise<void> {
    const now = Date.now();
    const jobs = [];
    for (const [key, p] of this.pending) {
      const due = dueAt(p);
      if (due === null || due > now) continue;
      jobs.push(worldEventJob(p, new Date(now).toISOString()));
      // Next: its expiry, if it has one still ahead (an activation job also expires an event already past it).
      if (p.status === 'scheduled' && p.expiresAt && Date.parse(p.expiresAt) > now)
        this.pending.set(key, { ...p, status: 'active' });
      else this.pending.delete(key);
    }
    try {
      if (jobs.length) {
        const fresh = await publishJobs(this.queue, jobs, this.metrics);
        this.logger.info({ jobs: jobs.map((j) => j.jobId), fresh }, 'world events due: jobs published');
      }
    } catch (e) {
      this.logger.warn({ err: e }, 'publishing due world-event jobs failed; the expiry cron will pick them up');
    }
    if (reload) await this.reload();
    else this.arm();
  }
}
