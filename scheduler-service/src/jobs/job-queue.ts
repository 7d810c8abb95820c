import { JetStreamApiError, type Consumer } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  JOB_ID_HEADER,
  jobSubjects,
  type AnyJob,
  type CronJobName,
  type CronRunState,
  type NatsNames,
  type ParkedJob,
} from '@cm/contracts';
import type { Nats } from '@cm/platform';

/** Raised when another planner moved the cron state first (the expected last subject sequence did not match). */
export class StateMovedError extends Error {
  constructor(cron: string) {
    super(`the state of cron ${cron} was moved by another planner`);
    this.name = 'StateMovedError';
  }
}

/**
 * The JetStream side of the job queue: publishing jobs (de-duplicated by job id), parking failed ones, the shared
 * durable consumer, and the cron state, kept as the only message on `<prefix>.job.state.<cron>` of the same
 * stream and moved with an expected last subject sequence, so two planners cannot both claim a window.
 */
export class JobQueue {
  readonly subjects;

  constructor(
    private readonly nats: Nats,
    private readonly names: NatsNames,
  ) {
    this.subjects = jobSubjects(names);
  }

  /** The stream is provisioned by `cm provision`; the scheduler only checks that it is there. */
  async verifyStream(): Promise<void> {
    try {
      await this.nats.jsm.streams.info(this.names.jobStream);
    } catch (e) {
      throw new Error(
        `stream ${this.names.jobStream} not found (${(e as Error).message}): run \`npm run cm -- provision\``,
      );
    }
  }

  /** The durable pull consumer every replica shares, as provisioned (`jobWorkerConsumerConfig` of @cm/platform). */
  async consumer(): Promise<Consumer> {
    return this.nats.js.consumers.get(this.names.jobStream, this.subjects.workerConsumer);
  }

  /** Jobs waiting for a worker, and jobs delivered to one and not yet acked, across all replicas. */
  async backlog(): Promise<{ waiting: number; inFlight: number; redelivered: number }> {
    const info = await this.nats.jsm.consumers.info(this.names.jobStream, this.subjects.workerConsumer);
    return { waiting: info.num_pending, inFlight: info.num_ack_pending, redelivered: info.num_redelivered };
  }

  /** Publishes a job; `duplicate` when a job with this id was already published within the duplicate window. */
  async publish(job: AnyJob, msgId = job.jobId): Promise<{ duplicate: boolean; seq: number }> {
    const h = natsHeaders();
    h.set(JOB_ID_HEADER, job.jobId);
    const ack = await this.nats.js.publish(this.subjects.run(job.kind, job.jobId), JSON.stringify(job), {
      msgID: msgId,
      headers: h,
    });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  /** Stores a job that failed every attempt on its dead-letter subject (one per job: a newer parking replaces it). */
  async park(parked: ParkedJob, attemptSeq: number): Promise<void> {
    const h = natsHeaders();
    h.set(JOB_ID_HEADER, parked.job.jobId);
    await this.nats.js.publish(this.subjects.dead(parked.job.kind, parked.job.jobId), JSON.stringify(parked), {
      msgID: `dead:${parked.job.jobId}:${attemptSeq}`,
      headers: h,
    });
  }

  async readState(cron: CronJobName): Promise<{ state: CronRunState; seq: number } | null> {
    const m = await this.nats.jsm.streams.getMessage(this.names.jobStream, { last_by_subj: this.subjects.state(cron) });
    return m ? { state: m.json<CronRunState>(), seq: m.seq } : null;
  }

  /** Moves the cron state if its last sequence is still `expectedSeq` (0: no state yet); returns the new sequence. */
  async writeState(cron: CronJobName, state: CronRunState, expectedSeq: number): Promise<number> {
    try {
      const ack = await this.nats.js.publish(this.subjects.state(cron), JSON.stringify(state), {
        expect: { lastSubjectSequence: expectedSeq },
      });
      return ack.seq;
    } catch (e) {
      // 10071: the subject's last sequence is not the expected one.
      if (e instanceof JetStreamApiError && e.code === 10071) throw new StateMovedError(cron);
      throw e;
    }
  }
}
