import { Kvm } from '@nats-io/kv';
import { millis, nanos } from '@nats-io/transport-node';
import type { ConsumerConfig, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { SAGA_NAMES, type NatsNames } from '@cm/contracts';
import { z } from 'zod';
import { ConfigError } from './config.js';
import type { Nats } from './nats.js';
import {
  cacheInvalidationConsumerConfig,
  eventStreamConfig,
  jobStreamConfig,
  jobWorkerConsumerConfig,
  projectionConsumerConfig,
  sagaConsumerConfig,
  type EventStreamOptions,
} from './streams.js';

/**
 * The settings the NATS resources take from configuration. Every service that verifies a resource and
 * `cm provision`, which creates it, read them through `loadConfig` with this shape, so both see the same values.
 */
export const natsResourcesConfigSchema = z.object({
  /** Replicas of the event stream and the lease bucket: 1 locally, 3 on a cluster. */
  EVENT_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** Command-id de-duplication window of the event stream. */
  DUPLICATE_WINDOW_MS: z.coerce.number().int().min(1000).default(120_000),
  /** How long a projector lease lives without renewal (the lease bucket's max_age); a standby takes over after this. */
  PROJECTOR_LEASE_TTL_MS: z.coerce.number().int().min(1000).default(10_000),
  /** Projections whose durable consumers are provisioned, comma-separated. */
  PROJECTIONS: z
    .string()
    .default('postgres,redis')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be projection names (a-z, 0-9, -)'))),
  /**
   * How long a job may go without an ack or a `working` heartbeat before another replica gets it: the ack wait of
   * the scheduler's consumer.
   */
  SCHEDULER_JOB_ACK_WAIT_MS: z.coerce.number().int().min(1000).default(30_000),
});

export type NatsResourcesConfig = z.output<typeof natsResourcesConfigSchema>;

/** Who verifies a resource at start: the processes that cannot run without it. */
export type ResourceUser = 'command-service' | 'query-api' | 'query-projector' | 'rules-service' | 'scheduler-service';

/** A setting of a resource that must have one value: compared on verify, and written on provision. */
interface Setting {
  field: string;
  /** As people read it (durations in ms, not the server's nanoseconds). */
  show(value: unknown): string;
}

interface ResourceBase {
  /** How messages name it: `stream CM_EVENTS`, `KV CM_leases`, `consumer projection-postgres`. */
  label: string;
  neededBy: readonly ResourceUser[];
}

/** A stream: created when missing, its settings updated when they differ. */
export interface StreamResource extends ResourceBase {
  kind: 'stream';
  config: Partial<StreamConfig> & { name: string };
  settings: readonly Setting[];
}

/** A KV bucket (a stream `KV_<bucket>` underneath): created when missing, its settings updated when they differ. */
export interface KvResource extends ResourceBase {
  kind: 'kv';
  bucket: string;
  options: { history: number; replicas: number; ttl: number; description: string };
  settings: readonly Setting[];
}

/**
 * A durable consumer: created when missing, its `settings` updated when they differ and verified by the services
 * that need it. A consumer its owner moves (a projector re-creates its consumer at its checkpoint) has no settings:
 * once it exists it is left alone, and its settings are the owner's to check.
 */
export interface ConsumerResource extends ResourceBase {
  kind: 'consumer';
  stream: string;
  config: Partial<ConsumerConfig> & { durable_name: string };
  settings: readonly Setting[];
}

export type NatsResource = StreamResource | KvResource | ConsumerResource;

const ms = (v: unknown) => `${typeof v === 'number' ? millis(v) : String(v)} ms`;
const plain = (v: unknown) => JSON.stringify(v ?? null);
const STREAM_SETTINGS: readonly Setting[] = [
  { field: 'duplicate_window', show: ms },
  { field: 'num_replicas', show: plain },
  { field: 'max_age', show: ms },
  { field: 'allow_direct', show: plain },
  { field: 'deny_delete', show: plain },
  { field: 'deny_purge', show: plain },
];
const JOB_STREAM_SETTINGS: readonly Setting[] = [
  { field: 'duplicate_window', show: ms },
  { field: 'num_replicas', show: plain },
  { field: 'max_msgs_per_subject', show: plain },
];
/**
 * The settings of a consumer that the provisioner keeps and its users verify. Server 2.9 updates neither the filter
 * nor the ack policy of a consumer: provisioning a change of those fails until the consumer is deleted.
 */
const CONSUMER_SETTINGS: readonly Setting[] = [
  { field: 'filter_subject', show: plain },
  { field: 'ack_policy', show: plain },
  { field: 'ack_wait', show: ms },
  { field: 'max_deliver', show: plain },
  { field: 'max_ack_pending', show: plain },
];
const BUCKET_SETTINGS: readonly Setting[] = [
  { field: 'max_age', show: ms },
  { field: 'num_replicas', show: plain },
];

/**
 * Every NATS resource the system runs on, in creation order: the one list `cm provision`, the launcher and the
 * test kit create from and each service verifies against. A new stream, bucket or consumer is added here.
 */
export function natsResources(names: NatsNames, config: NatsResourcesConfig): NatsResource[] {
  const jobWorkers = jobWorkerConsumerConfig(names, { ackWaitMs: config.SCHEDULER_JOB_ACK_WAIT_MS });
  return [
    {
      kind: 'stream',
      label: `stream ${names.eventStream}`,
      neededBy: ['command-service', 'query-api', 'query-projector', 'rules-service'],
      config: eventStreamConfig(names, {
        replicas: config.EVENT_STREAM_REPLICAS,
        duplicateWindowMs: config.DUPLICATE_WINDOW_MS,
      }),
      settings: STREAM_SETTINGS,
    },
    {
      kind: 'stream',
      label: `stream ${names.jobStream}`,
      neededBy: ['scheduler-service'],
      config: jobStreamConfig(names, {
        replicas: config.EVENT_STREAM_REPLICAS,
        duplicateWindowMs: config.DUPLICATE_WINDOW_MS,
      }),
      settings: JOB_STREAM_SETTINGS,
    },
    {
      // Server 2.9 has no per-key TTL: the bucket's max_age is the lease TTL, as the projector's lease expects.
      kind: 'kv',
      label: `KV ${names.leaseBucket}`,
      neededBy: ['query-projector'],
      bucket: names.leaseBucket,
      options: {
        history: 1,
        replicas: config.EVENT_STREAM_REPLICAS,
        ttl: config.PROJECTOR_LEASE_TTL_MS,
        description: 'projector leases: one active instance per projection',
      },
      settings: BUCKET_SETTINGS,
    },
    ...config.PROJECTIONS.map((projection): ConsumerResource => ({
      kind: 'consumer',
      label: `consumer ${names.projectionConsumer(projection)}`,
      neededBy: [],
      stream: names.eventStream,
      config: projectionConsumerConfig(names, projection),
      settings: [],
    })),
    {
      kind: 'consumer',
      label: `consumer ${cacheInvalidationConsumerConfig(names).durable_name}`,
      neededBy: [],
      stream: names.eventStream,
      config: cacheInvalidationConsumerConfig(names),
      settings: [],
    },
    ...SAGA_NAMES.map((saga): ConsumerResource => ({
      kind: 'consumer',
      label: `consumer ${names.sagaConsumer(saga)}`,
      neededBy: ['command-service'],
      stream: names.eventStream,
      config: sagaConsumerConfig(names, saga),
      settings: CONSUMER_SETTINGS,
    })),
    {
      kind: 'consumer',
      label: `consumer ${jobWorkers.durable_name}`,
      neededBy: ['scheduler-service'],
      stream: names.jobStream,
      config: jobWorkers,
      settings: CONSUMER_SETTINGS,
    },
  ];
}

/** The stream settings a KV bucket's options stand for. */
function bucketStreamConfig(r: KvResource): Partial<StreamConfig> {
  return { max_age: nanos(r.options.ttl), num_replicas: r.options.replicas };
}

function differences(
  settings: readonly Setting[],
  actual: object,
  wanted: object,
): { setting: Setting; actual: unknown; wanted: unknown }[] {
  const a = actual as Record<string, unknown>;
  const w = wanted as Record<string, unknown>;
  return settings
    .filter((s) => s.field in w && (a[s.field] ?? null) !== (w[s.field] ?? null))
    .map((setting) => ({ setting, actual: a[setting.field], wanted: w[setting.field] }));
}

export type ProvisionResult = 'created' | 'updated' | 'unchanged' | 'exists';

/**
 * Creates what is missing and brings the declared settings of streams, buckets and consumers to their values;
 * idempotent.
 * Resolves to what happened to each resource, by label, in order.
 */
export async function provisionNatsResources(
  nats: Nats,
  resources: readonly NatsResource[],
): Promise<[string, ProvisionResult][]> {
  const results: [string, ProvisionResult][] = [];
  for (const r of resources) results.push([r.label, await provisionOne(nats, r)]);
  return results;
}

async function provisionOne(nats: Nats, r: NatsResource): Promise<ProvisionResult> {
  const { jsm } = nats;
  switch (r.kind) {
    case 'stream':
      return provisionStream(jsm, r);
    case 'kv': {
      const stream = `KV_${r.bucket}`;
      const existing = await jsm.streams.info(stream).catch(() => undefined);
      if (!existing) {
        await new Kvm(nats.js).create(r.bucket, r.options);
        return 'created';
      }
      const wanted = bucketStreamConfig(r);
      if (differences(r.settings, existing.config, wanted).length === 0) return 'unchanged';
      // The server refuses a duplicate window longer than max_age, and a bucket's window follows a short TTL.
      const duplicateWindow = Math.min(existing.config.duplicate_window, wanted.max_age!);
      await jsm.streams.update(stream, { ...existing.config, ...wanted, duplicate_window: duplicateWindow });
      return 'updated';
    }
    case 'consumer': {
      const existing = await jsm.consumers.info(r.stream, r.config.durable_name).catch(() => undefined);
      if (!existing) {
        await jsm.consumers.add(r.stream, r.config);
        return 'created';
      }
      if (differences(r.settings, existing.config, r.config).length === 0) return 'exists';
      await jsm.consumers.update(r.stream, r.config.durable_name, r.config);
      return 'updated';
    }
    default: {
      const never: never = r;
      throw new Error(`unknown resource ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Provisions the event stream alone, as `provisionNatsResources` would: for tests that work on the stream without
 * running the system.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  names: NatsNames,
  opts: EventStreamOptions,
): Promise<ProvisionResult> {
  const stream: StreamResource = {
    kind: 'stream',
    label: `stream ${names.eventStream}`,
    neededBy: [],
    config: eventStreamConfig(names, opts),
    settings: STREAM_SETTINGS,
  };
  return provisionStream(jsm, stream);
}

/** Provisions the job stream alone, as `provisionNatsResources` would: for tests of the job queue. */
export async function ensureJobStream(
  jsm: JetStreamManager,
  names: NatsNames,
  opts: EventStreamOptions,
): Promise<ProvisionResult> {
  const stream: StreamResource = {
    kind: 'stream',
    label: `stream ${names.jobStream}`,
    neededBy: [],
    config: jobStreamConfig(names, opts),
    settings: JOB_STREAM_SETTINGS,
  };
  return provisionStream(jsm, stream);
}

async function provisionStream(jsm: JetStreamManager, r: StreamResource): Promise<ProvisionResult> {
  const existing = await jsm.streams.info(r.config.name).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(r.config);
    return 'created';
  }
  if (differences(r.settings, existing.config, r.config).length === 0) return 'unchanged';
  // Subjects stay as they are: a stream's subjects are its identity, not a setting to flip.
  await jsm.streams.update(r.config.name, { ...existing.config, ...r.config, subjects: existing.config.subjects });
  return 'updated';
}

const PROVISION_HINT = 'run `npm run cm -- provision`';

/** A resource a service needs is missing or set up otherwise than it expects; the service refuses to start. */
export class ResourceMismatchError extends ConfigError {
  constructor(problems: string[]) {
    super(problems);
    this.message = `NATS resources do not match this service's configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
    this.name = 'ResourceMismatchError';
  }
}

/**
 * Checks, without changing anything, that every resource `user` needs exists with the declared settings.
 * Throws a `ResourceMismatchError` naming each difference (`stream CM_EVENTS: duplicate_window is 120000 ms, this
 * service expects 60000 ms; run ...`); `runMain` prints it and exits 78.
 */
export async function verifyNatsResources(
  jsm: JetStreamManager,
  resources: readonly NatsResource[],
  user: ResourceUser,
): Promise<void> {
  const problems: string[] = [];
  for (const r of resources.filter((x) => x.neededBy.includes(user))) {
    const existing =
      r.kind === 'consumer'
        ? await jsm.consumers.info(r.stream, r.config.durable_name).catch(() => undefined)
        : await jsm.streams.info(r.kind === 'stream' ? r.config.name : `KV_${r.bucket}`).catch(() => undefined);
    if (!existing) {
      problems.push(`${r.label} does not exist; ${PROVISION_HINT}`);
      continue;
    }
    const wanted = r.kind === 'kv' ? bucketStreamConfig(r) : r.config;
    for (const d of differences(r.settings, existing.config, wanted)) {
      problems.push(
        `${r.label}: ${d.setting.field} is ${d.setting.show(d.actual)}, this service expects ${d.setting.show(d.wanted)}; ${PROVISION_HINT}`,
      );
    }
  }
  if (problems.length) throw new ResourceMismatchError(problems);
}
