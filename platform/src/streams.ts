import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { jobSubjects, SAGAS, type NatsNames, type SagaName } from '@cm/contracts';
import type { ReadinessCheck } from './ops-http.js';

export interface EventStreamOptions {
  replicas: number;
  duplicateWindowMs: number;
}

/**
 * The event stream as DESIGN §2 defines it: the source of truth, so no age or size limit ever discards
 * history, and neither deletes nor purges are allowed. `allow_direct` serves aggregate reads from any replica.
 */
export function eventStreamConfig(
  names: NatsNames,
  opts: EventStreamOptions,
): Partial<StreamConfig> & { name: string } {
  return {
    name: names.eventStream,
    subjects: [names.eventWildcard],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: 0,
    max_bytes: -1,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
    duplicate_window: nanos(opts.duplicateWindowMs),
    num_replicas: opts.replicas,
  };
}

/** The readiness check of a service that reads or writes the event stream: the stream answers its info request. */
export function eventStreamReadiness(jsm: JetStreamManager, names: NatsNames): ReadinessCheck {
  return { name: 'nats', check: async () => void (await jsm.streams.info(names.eventStream)) };
}

/**
 * Most messages a projection consumer may have delivered but not acked. It is the real bound of what a projector
 * buffers (the pull client keeps pulling until the server stops at this limit), so it must exceed twice the
 * largest batch (`PROJECTOR_BATCH_SIZE` ≤ 10,000) and stay small enough to hold in memory.
 */
const PROJECTION_MAX_ACK_PENDING = 20_000;

/**
 * The durable pull consumer of a projection on the event stream (DESIGN §4), named `projection-<projection>`.
 * The provisioner (`natsResources`) creates it; the projector moves it afterwards:
 * `startSeq` (> 1) starts delivery there: a projector re-creates its consumer at checkpoint + 1 when the old
 * one has deliveries in flight, because JetStream would otherwise redeliver those only after `ack_wait`, behind
 * newer messages, and a projection must apply events in stream order.
 */
export function projectionConsumerConfig(
  names: NatsNames,
  projection: string,
  opts: { startSeq?: number } = {},
): Partial<ConsumerConfig> & { durable_name: string } {
  const startSeq = opts.startSeq ?? 1;
  return {
    durable_name: names.projectionConsumer(projection),
    description: `${projection} projection of ${names.eventStream}`,
    // The projector applies messages in stream order and acks the last of each batch, which acks the batch: one
    // ack per batch instead of one per event, work the NATS server no longer does per event.
    ack_policy: AckPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: -1,
    max_ack_pending: PROJECTION_MAX_ACK_PENDING,
    ...(startSeq > 1
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }
      : { deliver_policy: DeliverPolicy.All }),
  };
}

/**
 * The scheduler's job queue (DESIGN §7): `<PREFIX>_JOBS` on `<prefix>.job.>`, work-queue retention, so a job
 * leaves the stream when a worker acks it. One message per subject (every job, parked job and cron state has a
 * subject of its own): the cron state keeps only its latest value, written with an expected last subject
 * sequence. `Nats-Msg-Id` = job id within the duplicate window, so replicas that plan the same window store it
 * once. Deletes stay allowed: `cm jobs retry` removes the parked copy it replays.
 */
export function jobStreamConfig(names: NatsNames, opts: EventStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: names.jobStream,
    subjects: [names.jobWildcard],
    storage: StorageType.File,
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.Old,
    max_msgs_per_subject: 1,
    duplicate_window: nanos(opts.duplicateWindowMs),
    num_replicas: opts.replicas,
  };
}

/**
 * The shared durable pull consumer of the scheduler's workers on the job stream (DESIGN §7), on the jobs to run:
 * every replica pulls from it, so each job goes to one of them. `ackWaitMs` (`SCHEDULER_JOB_ACK_WAIT_MS`) is how
 * long a job may go without an ack or a `working` heartbeat before another replica gets it.
 */
export function jobWorkerConsumerConfig(
  names: NatsNames,
  opts: { ackWaitMs: number },
): Partial<ConsumerConfig> & { durable_name: string } {
  const subjects = jobSubjects(names);
  return {
    durable_name: subjects.workerConsumer,
    description: 'scheduler jobs, shared by every scheduler replica',
    filter_subject: subjects.runWildcard,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(opts.ackWaitMs),
    // Attempts are counted and bounded by the worker, which parks the job itself: the server must never drop one.
    max_deliver: -1,
    max_ack_pending: 10_000,
  };
}

/** Deliveries of an event to a saga; at the last one a failing saga gives up on it (and logs it as an error). */
export const SAGA_MAX_DELIVER = 10;

/**
 * The durable pull consumer of a saga (`SAGAS`) on the event stream, `saga-<name>`, filtered to the events of its
 * aggregate type so it reads only what it reacts to. A message is acked once the saga's commands are done and
 * redelivered, up to `SAGA_MAX_DELIVER` times, when one fails.
 */
export function sagaConsumerConfig(
  names: NatsNames,
  saga: SagaName,
): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: names.sagaConsumer(saga),
    filter_subject: `${names.prefix}.evt.*.*.${SAGAS[saga]}.*`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: SAGA_MAX_DELIVER,
    max_ack_pending: 1000,
  };
}

/** Durable name of the cache's invalidation consumer on the event stream. */
export const CACHE_INVALIDATION_CONSUMER = 'cache-invalidation';

/**
 * The cache's invalidation consumer: one durable that every API replica pulls from, so each event is handled by
 * one of them (a queue group in JetStream's terms). Deleting cache keys is idempotent and the order of two
 * deletions does not matter, so it needs neither a lease nor ordered delivery: explicit acks, a redelivery after
 * `ack_wait` when a replica dies holding messages, and retries without end (a skipped invalidation would leave a
 * stale entry for its TTL). It starts at the stream's end when first provisioned: older events describe entries
 * that no longer exist.
 */
export function cacheInvalidationConsumerConfig(names: NatsNames): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: CACHE_INVALIDATION_CONSUMER,
    description: `cache invalidation from ${names.eventStream}`,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(30_000),
    max_deliver: -1,
    max_ack_pending: 10_000,
    deliver_policy: DeliverPolicy.New,
  };
}
