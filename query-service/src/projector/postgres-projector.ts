import type { JsMsg } from '@nats-io/jetstream';
import { decodeCommit, type AnyEvent, type NatsNames } from '@cm/contracts';
import { ConsumerLagMetrics, type Logger, type Nats, type ReadinessCheck, type Registry } from '@cm/platform';
import type { QueryConfig } from '../config.js';
import type { Database } from '../read-model/database.js';
import { jetStreamHistory, type EventHistory } from './event-history.js';
import { ProjectionLease } from './lease.js';
import type { SequencedEvent } from './postgres.projection.js';
import { serveParkedControl, type ParkedControlRequest, type ParkedControlReply } from './parked-control.js';
import { aggregateKey, isTransient, PoisonGuard, type GuardedCommit, type ParkedCommit } from './poison.js';
import { ProgressWatch } from './progress-watch.js';
import { openConsumer, type ConsumerSession } from './projection-consumer.js';
import { CheckpointMovedError, POSTGRES_PROJECTION, ProjectionWriter } from './projection-writer.js';
import { ProjectorMetrics } from './projector.metrics.js';
import type { PostgresParkingStore } from './parking-store.js';
import type { Sql } from '../read-model/sql.js';

/** What every projection runner needs, whatever model it writes. */
export interface RunnerDeps {
  config: Pick<QueryConfig, 'PROJECTOR_BATCH_SIZE' | 'PROJECTOR_LEASE_TTL_MS'> &
    Partial<
      Pick<
        QueryConfig,
        | 'PROJECTOR_LINGER_MS'
        | 'PROJECTION_STATEMENT_TIMEOUT_MS'
        | 'PROJECTOR_MAX_ATTEMPTS'
        | 'PROJECTOR_RETRY_BACKOFF_MS'
        | 'PROJECTOR_READY_MAX_LAG_SECONDS'
      >
    >;
  logger: Logger;
  nats: Nats;
  names: NatsNames;
  registry: Registry;
}

export interface ProjectorDeps extends RunnerDeps {
  db: Database;
  /** Where forks at an earlier sequence re-read history; the event stream by default. */
  history?: EventHistory;
}

/**
 * The model a runner applies batches to: Postgres (`ProjectionWriter`) or Redis. Its checkpoint is stored with
 * the model and moved in the same write as each batch, only from `expectedCheckpoint`; a writer that finds it
 * elsewhere throws `CheckpointMovedError`.
 */
export interface ProjectionSink {
  readonly projection: string;
  /** The stored checkpoint; a model that can lose its data (Redis) starts a new generation at 0 if it did. */
  checkpoint(): Promise<number>;
  apply(
    events: readonly SequencedEvent[],
    opts: { expectedCheckpoint: number; park?: readonly ParkedCommit[]; unpark?: readonly number[] },
  ): Promise<{ checkpoint: number; forks: readonly unknown[] }>;
  /**
   * Where the projection parks poison commits (poison.ts), recorded by `apply`'s `park` with its checkpoint. A sink
   * without it (Redis today) retries a failing batch as before; see the report of issue 13 for how one plugs in.
   */
  readonly parking?: { store: PostgresParkingStore; sql: Sql };
  /**
   * Why the stored model is no longer the one this writer built (Redis flushed or restarted empty), asked every
   * second while active: the runner then re-reads the checkpoint and rebuilds from there.
   */
  lost?(): Promise<string | undefined>;
}

/** The model was lost under the writer (Redis flushed): re-read the checkpoint and rebuild, no lease given up. */
export class ModelLostError extends Error {
  override name = 'ModelLostError';
}

export interface ProjectorStatus {
  projection: string;
  /** `active` holds the lease and applies events; `standby` waits to take it over. */
  state: 'standby' | 'active' | 'stopped';
  /** Last sequence this instance committed or read from the database. */
  checkpoint: number;
  holder: string;
  /** Why the last batch failed, until one succeeds. */
  lastError?: string;
  /** Why the apply loop counts as stalled (`no progress for 12 s`): it then gives up the lease and is not ready. */
  stalled?: string;
  /** Commits parked (poison events and those held behind them) while this instance was active. */
  parked: number;
}

export interface Projector {
  /** Finishes the batch in hand, acks it, releases the lease. */
  stop(): Promise<void>;
  checks: ReadinessCheck[];
  status(): ProjectorStatus;
}

const ANNOUNCE_EVERY_MS = 1000;
const RETRY_MS = 1000;
/** Beyond the statement timeout, how long a batch may wait for an answer Postgres should already have sent. */
const DEADLINE_GRACE_MS = 1000;
/**
 * The shortest stall that costs the lease. A healthy batch on a busy machine (two cores shared with Postgres and
 * every other service) has been seen to take over a second; giving the lease up for that only moves the same
 * slow work to another instance.
 */
const MIN_STALL_MS = 5000;

/**
 * How long the apply loop may work without committing before it gives up the lease: half the TTL, at least
 * MIN_STALL_MS. The holder gives it up at the first renewal after that (every ttl/3) and a standby retries at
 * least every second, so with the default TTL (10 s) a standby takes over within the TTL of the stall.
 */
export const stallMs = (leaseTtlMs: number): number => Math.max(MIN_STALL_MS, Math.floor(leaseTtlMs / 2));

/**
 * Runs the Postgres projection (DESIGN §4): one durable pull consumer, one active instance chosen by a KV lease,
 * the others hot standbys. The active one applies batches of up to PROJECTOR_BATCH_SIZE events in one
 * transaction with the checkpoint, acks them, then announces `{projection, seq}` on the checkpoint subject.
 */
export function startProjector(deps: ProjectorDeps): Promise<Projector> {
  return startProjection(
    deps,
    new ProjectionWriter(deps.db, deps.history ?? jetStreamHistory(deps.nats, deps.names), POSTGRES_PROJECTION),
    'projector',
  );
}

/** Runs any projection the same way (lease, progress watch, fenced checkpoint, announcements); `checkName` names its /ready check. */
export async function startProjection(deps: RunnerDeps, sink: ProjectionSink, checkName: string): Promise<Projector> {
  const lease = await ProjectionLease.open({
    nats: deps.nats,
    names: deps.names,
    projection: sink.projection,
    ttlMs: deps.config.PROJECTOR_LEASE_TTL_MS,
    logger: deps.logger,
  });
  const runner = new ProjectorRunner(deps, lease, sink);
  runner.start();
  const control = sink.parking
    ? serveParkedControl(deps.nats, deps.names, sink.projection, (request) => runner.control(request))
    : undefined;
  // A standby's checkpoint is the one it last read: the consumer's ack floor (acked after each commit) is newer.
  const consumer = deps.names.projectionConsumer(sink.projection);
  const lag = ConsumerLagMetrics.watch(deps.nats.jsm, deps.registry, [
    { stream: deps.names.eventStream, consumer, checkpoint: () => runner.activeCheckpoint() },
  ]);
  const maxLagSeconds = deps.config.PROJECTOR_READY_MAX_LAG_SECONDS ?? 0;
  return {
    stop: async () => {
      control?.unsubscribe();
      await runner.stop();
    },
    status: () => runner.status(),
    checks: [
      {
        name: checkName,
        check: async () => {
          const status = runner.status();
          if (status.state === 'stopped') throw new Error('projector stopped');
          if (status.stalled)
            throw new Error(
              `projector: ${status.stalled} (checkpoint ${status.checkpoint}${status.lastError ? `; ${status.lastError}` : ''})`,
            );
          if (status.lastError) throw new Error(`projector failing: ${status.lastError}`);
          return { state: status.state, checkpoint: status.checkpoint, parked: await runner.parkedNow() };
        },
      },
      ...lag.readiness('projector-lag', consumer, maxLagSeconds, 'PROJECTOR_READY_MAX_LAG_SECONDS'),
    ],
  };
}

/** One delivered commit, as the poison guard sees it. */
interface DeliveredCommit extends GuardedCommit {
  events: AnyEvent[];
}

/** What the guard needs of a commit: its aggregate (a commit is always one aggregate's) and its event types. */
function delivered(seq: number, events: AnyEvent[]): DeliveredCommit {
  const first = events[0];
  return {
    seq,
    events,
    aggregate: first ? aggregateKey(first) : `empty:${seq}`,
    eventTypes: events.map((e) => e.type),
  };
}

class ProjectorRunner {
  private readonly projection: string;
  /** The store the projection writes, as messages name it: `Postgres`, `Redis`. */
  private readonly store: string;
  private readonly logger: Logger;
  private readonly metrics: ProjectorMetrics;
  private readonly watch: ProgressWatch;
  /** Client-side bound of one batch: Postgres cancels a slow statement itself, but a hung connection never answers. */
  private readonly deadlineMs: number | undefined;
  private state: ProjectorStatus['state'] = 'standby';
  private checkpoint = 0;
  private lastError: string | undefined;
  private stopping = false;
  private session: ConsumerSession | undefined;
  private loop: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;
  private announcer: NodeJS.Timeout | undefined;
  private guard: PoisonGuard<DeliveredCommit> | undefined;
  private parked = 0;
  /** Batches and `cm parked` requests take turns: both move the checkpoint and what is held back. */
  private turn: Promise<unknown> = Promise.resolve();
  /** Why the model must be rebuilt (it was lost while idle): the consume loop ends and `runActive` starts over. */
  private lostModel: string | undefined;
  private checkingModel = false;

  constructor(
    private readonly deps: RunnerDeps,
    private readonly lease: ProjectionLease,
    private readonly writer: ProjectionSink,
  ) {
    this.projection = writer.projection;
    this.store = writer.projection.charAt(0).toUpperCase() + writer.projection.slice(1);
    this.logger = deps.logger.child({ projection: this.projection });
    this.metrics = ProjectorMetrics.of(deps.registry);
    this.watch = new ProgressWatch(stallMs(deps.config.PROJECTOR_LEASE_TTL_MS));
    const timeout = deps.config.PROJECTION_STATEMENT_TIMEOUT_MS;
    this.deadlineMs = timeout === undefined ? undefined : timeout + DEADLINE_GRACE_MS;
  }

  start(): void {
    this.loop = this.run().catch((e: unknown) => {
      this.logger.fatal({ err: e }, 'projector loop crashed');
      this.state = 'stopped';
    });
    // Re-announced while idle so that a waiter which missed the announcement of its sequence still learns of it.
    this.announcer = setInterval(() => {
      if (this.state !== 'active') return;
      this.announce();
      this.checkModel();
    }, ANNOUNCE_EVERY_MS);
    this.announcer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.session?.stop();
    this.wake?.();
    await this.loop;
    clearInterval(this.announcer);
    this.state = 'stopped';
  }

  status(): ProjectorStatus {
    const status: ProjectorStatus = {
      projection: this.projection,
      state: this.state,
      checkpoint: this.checkpoint,
      holder: this.lease.holder,
      parked: this.parked,
    };
    if (this.lastError) status.lastError = this.lastError;
    const stalled = this.watch.stalled();
    if (stalled) status.stalled = stalled;
    return status;
  }

  private labels() {
    return { projection: this.projection };
  }

  private async run(): Promise<void> {
    this.metrics.leaseHeld.set(this.labels(), 0);
    while (!this.stopping) {
      if (!(await this.lease.tryAcquire())) {
        this.lastError = undefined; // another instance holds the lease: what failed here no longer holds anything up
        await this.sleep(Math.min(RETRY_MS, Math.floor(this.deps.config.PROJECTOR_LEASE_TTL_MS / 4)));
        continue;
      }
      this.logger.info({ holder: this.lease.holder }, 'projector lease acquired; active');
      this.watch.working(); // reading the checkpoint and opening the consumer are work that must finish
      this.lease.startRenewing((reason, cause) => {
        this.logger.warn({ reason, checkpoint: this.checkpoint }, 'projector lease lost; stopping consumption');
        this.metrics.leaseLost.inc({ ...this.labels(), cause });
        this.state = 'standby';
        this.metrics.leaseHeld.set(this.labels(), 0);
        this.session?.stop();
        this.wake?.();
      }, this.watch);
      this.state = 'active';
      this.metrics.leaseHeld.set(this.labels(), 1);
      let failed = false;
      try {
        await this.runActive();
      } catch (e) {
        failed = true;
        if (!(e instanceof CheckpointMovedError)) this.lastError = (e as Error).message;
        this.logger.error({ err: e }, 'active projector stopped');
      } finally {
        this.session?.stop();
        this.session = undefined;
        await this.lease.release();
        this.state = 'standby';
        this.watch.waiting();
        this.metrics.leaseHeld.set(this.labels(), 0);
      }
      // Not straight back to the lease: whatever failed (the database, say) would fail again at once.
      if (failed && !this.stopping) await this.sleep(RETRY_MS);
    }
  }

  /** Asks a model that can be lost whether it was; if so the consume loop ends and the model is rebuilt. */
  private checkModel(): void {
    if (!this.writer.lost || this.checkingModel) return;
    this.checkingModel = true;
    void this.writer
      .lost()
      .then((reason) => {
        if (reason === undefined || this.state !== 'active') return;
        this.lostModel = reason;
        this.session?.stop();
      })
      .catch(() => undefined) // unreachable: the next batch or check reports it
      .finally(() => (this.checkingModel = false));
  }

  /** Consumes while the lease holds: one consumer session after another (a session ends on a gap or failure). */
  private async runActive(): Promise<void> {
    this.setCheckpoint(await this.withinDeadline(this.writer.checkpoint(), 'reading the checkpoint'));
    this.guard = await this.openGuard();
    let reset = false;
    while (!this.stopping && this.lease.isValid()) {
      if (this.lostModel !== undefined) {
        // The model is gone (Redis flushed): start a new generation at the checkpoint it has now (0), from the
        // stream. Or a rebuild swapped another generation in: carry on from its checkpoint (the swap's).
        this.logger.warn(
          { reason: this.lostModel, checkpoint: this.checkpoint },
          'read model lost or replaced; continuing from the checkpoint of the generation now live',
        );
        this.metrics.rebuilds.inc(this.labels());
        this.lostModel = undefined;
        this.setCheckpoint(await this.withinDeadline(this.writer.checkpoint(), 'reading the checkpoint'));
        reset = true;
      }
      try {
        this.session = await openConsumer(this.deps.nats, this.deps.names, this.projection, this.checkpoint, reset);
        if (this.session.fresh) this.metrics.consumerResets.inc(this.labels());
        if (this.lease.isValid() && !this.stopping) this.announce();
        reset = (await this.consume(this.session)) === 'gap';
      } catch (e) {
        if (e instanceof CheckpointMovedError) throw e; // someone else is writing: we are not the holder any more
        if (e instanceof ModelLostError) {
          this.lostModel = e.message;
          continue;
        }
        this.lastError = (e as Error).message;
        this.logger.error(
          { err: e, checkpoint: this.checkpoint },
          'projection batch failed; resuming from the checkpoint',
        );
        reset = true;
        await this.sleep(RETRY_MS);
      } finally {
        this.session?.stop();
      }
    }
  }

  /** Applies batches until the session ends (`gap`: the consumer must restart at the checkpoint). */
  private async consume(session: ConsumerSession): Promise<'ended' | 'gap'> {
    let first = true;
    while (!this.stopping && this.lease.isValid()) {
      this.watch.waiting();
      const messages = await session.next(
        this.deps.config.PROJECTOR_BATCH_SIZE,
        this.deps.config.PROJECTOR_LINGER_MS ?? 0,
      );
      this.watch.working();
      if (messages.length === 0 || this.lostModel !== undefined) return 'ended';
      const { batch, stale, gap } = this.ordered(messages, first && session.fresh);
      first = false;
      stale.at(-1)?.ack(); // the consumer acks all: the last acks every one before it
      if (batch.length > 0) {
        if (!this.lease.isValid()) return 'ended'; // lost while waiting: the next holder starts from our checkpoint
        await this.exclusive(() => this.apply(batch));
      }
      if (gap) {
        // Something before `gap` is still in flight on the server (after a reconnect, say); only a consumer
        // restarted at the checkpoint gets it to us in order.
        this.logger.warn(
          { checkpoint: this.checkpoint, next: gap },
          'gap in delivery; restarting the consumer at the checkpoint',
        );
        return 'gap';
      }
    }
    return 'ended';
  }

  /**
   * Splits delivered messages into what extends the checkpoint contiguously, what is already applied (to ack
   * and drop), and the sequence where a gap starts. The stream denies deletes and purges, so its sequences are
   * contiguous; the only gap accepted is at the very start of a consumer created at checkpoint + 1, where the
   * server itself proves nothing lies in between.
   */
  private ordered(messages: JsMsg[], mayJump: boolean): { batch: JsMsg[]; stale: JsMsg[]; gap?: number } {
    const batch: JsMsg[] = [];
    const stale: JsMsg[] = [];
    let last = this.checkpoint;
    for (const m of messages) {
      if (m.seq <= last) {
        stale.push(m);
        continue;
      }
      if (m.seq !== last + 1 && !(mayJump && batch.length === 0)) return { batch, stale, gap: m.seq };
      batch.push(m);
      last = m.seq;
    }
    return { batch, stale };
  }

  private async apply(messages: JsMsg[]): Promise<void> {
    const started = performance.now();
    const commits = messages.map((m) => delivered(m.seq, decodeCommit(m.data).events));
    const outcome = this.guard
      ? await this.guard.apply(commits)
      : await this.write(commits, []).then(() => ({ parked: [] }));
    messages.at(-1)?.ack(); // acks the whole batch (ack policy all)
    this.lastError = undefined;
    const events = commits.reduce((n, c) => n + c.events.length, 0);
    this.metrics.eventsApplied.inc(this.labels(), events);
    this.metrics.batchSize.observe(this.labels(), events);
    this.metrics.batchDuration.observe(this.labels(), (performance.now() - started) / 1000);
    this.announce();
    if (outcome.parked.length > 0)
      this.logger.warn(
        { parked: outcome.parked, checkpoint: this.checkpoint },
        'parked commits the projection could not apply',
      );
  }

  /** The poison guard of this activation: what is held back is read from the table, the source of truth. */
  private async openGuard(): Promise<PoisonGuard<DeliveredCommit> | undefined> {
    if (!this.writer.parking) return undefined;
    const held = await this.writer.parking!.store.heldAggregates(this.writer.parking!.sql);
    await this.refreshParked();
    return new PoisonGuard<DeliveredCommit>({
      policy: {
        maxAttempts: this.deps.config.PROJECTOR_MAX_ATTEMPTS ?? 5,
        backoffMs: this.deps.config.PROJECTOR_RETRY_BACKOFF_MS ?? 200,
      },
      held,
      apply: (commits, park) => this.write(commits, park),
      // Retrying a commit is the loop deciding about it, bounded by the attempts: not a stall that costs the lease.
      onRetry: (commit, attempt, error) => {
        this.watch.progressed();
        this.metrics.poisonRetries.inc(this.labels());
        this.logger.warn(
          { seq: commit.seq, aggregate: commit.aggregate, attempt, err: error },
          'commit failed; retrying before it is parked',
        );
      },
      onParked: () => {
        this.parked += 1;
        this.metrics.parked.inc(this.labels());
      },
    });
  }

  /** Writes commits (and records parked ones) through the fenced writer; the guard decides what goes in. */
  private async write(commits: DeliveredCommit[], park: ParkedCommit[]): Promise<void> {
    const events: SequencedEvent[] = [];
    for (const c of commits) for (const event of c.events) events.push({ seq: c.seq, event });
    const result = await this.withinDeadline(
      this.writer.apply(events, { expectedCheckpoint: this.checkpoint, park }),
      'applying a batch',
    );
    this.watch.progressed();
    this.setCheckpoint(result.checkpoint);
    if (result.forks.length > 0)
      this.logger.info({ forks: result.forks, checkpoint: result.checkpoint }, 'applied branch forks');
  }

  /** `cm parked retry|skip`, answered by the active instance only (a standby must not write). */
  async control(request: ParkedControlRequest): Promise<ParkedControlReply | undefined> {
    if (this.state !== 'active' || !this.guard) return undefined;
    return this.exclusive(async () => {
      const reply =
        request.op === 'retry' ? await this.retryParked() : await this.skipParked(request.seq, request.reason);
      this.guard!.setHeld(await this.writer.parking!.store.heldAggregates(this.writer.parking!.sql));
      await this.refreshParked();
      return reply;
    });
  }

  /**
   * Re-applies parked commits in stream order, each in one transaction with the removal of its record. An
   * aggregate whose commit fails again stays held: its later commits are not tried.
   */
  private async retryParked(): Promise<ParkedControlReply> {
    const rows = await this.writer.parking!.store.list(this.writer.parking!.sql, 'parked');
    const failed = new Set<string>();
    const applied: number[] = [];
    for (const row of rows) {
      if (failed.has(row.aggregate)) continue;
      const stored = await this.deps.nats.jsm.streams.getMessage(this.deps.names.eventStream, { seq: row.seq });
      if (!stored) throw new Error(`parked commit ${row.seq} is not in the stream`);
      const events = decodeCommit(stored.data).events.map((event) => ({ seq: row.seq, event }));
      try {
        const result = await this.withinDeadline(
          this.writer.apply(events, { expectedCheckpoint: this.checkpoint, unpark: [row.seq] }),
          'applying a parked commit',
        );
        this.setCheckpoint(result.checkpoint);
        applied.push(row.seq);
      } catch (e) {
        if (isTransient(e)) throw e;
        failed.add(row.aggregate);
        await this.writer.parking!.store.failedAgain(this.writer.parking!.sql, row.seq, (e as Error).message, 1);
      }
    }
    const stillParked = (await this.writer.parking!.store.list(this.writer.parking!.sql, 'parked')).length;
    this.logger.info({ applied, stillParked }, 'retried parked commits');
    return { ok: true, applied, stillParked };
  }

  private async skipParked(seq: number, reason: string): Promise<ParkedControlReply> {
    const skipped = await this.writer.parking!.store.skip(this.writer.parking!.sql, seq, reason);
    if (!skipped) return { ok: false, error: `no parked commit at sequence ${seq}` };
    this.logger.warn({ seq, reason }, 'parked commit skipped by an operator');
    const stillParked = (await this.writer.parking!.store.list(this.writer.parking!.sql, 'parked')).length;
    return { ok: true, applied: [], stillParked };
  }

  /** The checkpoint while this instance applies; a standby's would be stale. */
  activeCheckpoint(): number | undefined {
    return this.state === 'active' ? this.checkpoint : undefined;
  }

  /** Commits parked now (the table's count), for `/ready`. */
  async parkedNow(): Promise<number> {
    if (!this.writer.parking) return 0;
    return (await this.writer.parking!.store.list(this.writer.parking!.sql, 'parked')).length;
  }

  private async refreshParked(): Promise<void> {
    if (!this.writer.parking) return;
    const n = (await this.writer.parking!.store.list(this.writer.parking!.sql, 'parked')).length;
    this.metrics.parkedNow.set(this.labels(), n);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /**
   * `work`, or a failure once it has had no answer for the statement timeout and a grace. The work itself goes on
   * (a statement cannot be taken back from a hung connection); if it commits later, it commits only where the
   * fenced checkpoint still expects it, and otherwise writes nothing.
   */
  private withinDeadline<T>(work: Promise<T>, what: string): Promise<T> {
    const ms = this.deadlineMs;
    if (ms === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer from ${this.store} within ${ms} ms`)), ms);
    });
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }

  private setCheckpoint(seq: number): void {
    this.checkpoint = seq;
    this.metrics.checkpoint.set(this.labels(), seq);
  }

  private announce(): void {
    const subject = this.deps.names.checkpointSubject(this.projection);
    try {
      this.deps.nats.nc.publish(subject, JSON.stringify({ projection: this.projection, seq: this.checkpoint }));
    } catch (e) {
      this.logger.debug({ err: e }, 'checkpoint announcement not sent');
    }
  }

  /** Sleeps `ms`, or less if `stop` or a lost lease wakes it. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
