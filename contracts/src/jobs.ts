import { z } from 'zod';
import { idSchema } from './ids.js';
import type { NatsNames } from './subjects.js';

/**
 * The scheduler's cron jobs (DESIGN §7): each has its cron expression in an environment variable (the seeds' names)
 * and a default. Expressions take five fields, or six with seconds first.
 */
export const CRON_JOBS = {
  'event-expiration': { env: 'CRON_EVENT_EXPIRATION', default: '*/5 * * * *' },
  'settlement-growth': { env: 'CRON_SETTLEMENT_GROWTH', default: '0 * * * *' },
  'structure-maintenance': { env: 'CRON_STRUCTURE_MAINTENANCE', default: '0 * * * *' },
} as const;
export type CronJobName = keyof typeof CRON_JOBS;
export const CRON_JOB_NAMES = Object.keys(CRON_JOBS) as CronJobName[];

/** What one job on the queue does; the `<kind>` token of its subject. */
export const JOB_KINDS = [
  'world-event-activate',
  'world-event-expire',
  'settlement-growth',
  'structure-maintenance',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Job ids are `Nats-Msg-Id`s and a subject token: no `.`, `*`, `>` or white space. */
export const jobIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_:~-]{1,200}$/, 'must be 1-200 characters of A-Z a-z 0-9 _ : ~ -');

/** A cron window, as the ISO-8601 UTC time the cron fired for (`2026-11-29T12:00:00.000Z`). */
const windowSchema = z.iso.datetime();

const worldEventJob = z.object({ worldEventId: idSchema, dueAt: z.iso.datetime() }).strict();
/**
 * A batch of entities of one campaign branch, `(afterId, toId]` in id order (`null`: open end), and the windows to
 * apply to each of them in order: one normally, several when catching up after downtime.
 */
const batchJob = z
  .object({ afterId: idSchema.nullable(), toId: idSchema.nullable(), windows: z.array(windowSchema).min(1).max(1000) })
  .strict();

export const jobPayloadSchemas = {
  'world-event-activate': worldEventJob,
  'world-event-expire': worldEventJob,
  'settlement-growth': batchJob,
  'structure-maintenance': batchJob,
} as const satisfies Record<JobKind, z.ZodType>;
export type JobPayload<K extends JobKind> = z.output<(typeof jobPayloadSchemas)[K]>;

/** One job as it travels on `<prefix>.job.run.<kind>.<jobId>`. */
export interface JobEnvelope<K extends JobKind = JobKind> {
  /** Deterministic (kind + target + window), and the job message's `Nats-Msg-Id`. */
  jobId: string;
  kind: K;
  campaignId: string;
  branchId: string;
  payload: JobPayload<K>;
  /** Carried into the metadata of every command the job issues. */
  correlationId: string;
  /** ISO-8601 time the job was planned. */
  enqueuedAt: string;
  /** Entities a parked attempt had already finished: a replay skips them (see `ParkedJob.completed`). */
  skip?: string[];
}
export type AnyJob = { [K in JobKind]: JobEnvelope<K> }[JobKind];

export const jobEnvelopeSchema = z
  .object({
    jobId: jobIdSchema,
    kind: z.enum(JOB_KINDS),
    campaignId: idSchema,
    branchId: idSchema,
    payload: z.unknown(),
    correlationId: z.string().min(1).max(200),
    enqueuedAt: z.iso.datetime(),
    skip: z.array(z.string()).optional(),
  })
  .strict();

/** Validates a job message's body, payload included; throws a zod error naming the bad field. */
export function parseJob(value: unknown): AnyJob {
  const job = jobEnvelopeSchema.parse(value);
  return { ...job, payload: jobPayloadSchemas[job.kind].parse(job.payload) } as AnyJob;
}

/** A job that failed every attempt, as stored on `<prefix>.job.dead.<kind>.<jobId>`. */
export interface ParkedJob {
  job: AnyJob;
  error: { code: string; message: string };
  attempts: number;
  parkedAt: string;
  /** Entities whose commands the last attempt completed; a replay skips them, so nothing is applied twice. */
  completed: string[];
}

/** The durable state of one cron job, kept as the last message on `<prefix>.job.state.<cron>`. */
export interface CronRunState {
  /** The latest window planned. */
  lastWindow: string;
  /** The windows of the last planning, in order. */
  windows: string[];
  /** False between claiming the windows and having published all their jobs: the next planner republishes them. */
  published: boolean;
}

/**
 * Subjects of the `<PREFIX>_JOBS` work-queue stream (`<prefix>.job.>`): jobs to run, parked jobs, and the cron
 * state. Every token after the prefix is fixed or a validated id, so each job has a subject of its own.
 */
export function jobSubjects(names: Pick<NatsNames, 'prefix'>) {
  const p = names.prefix;
  return {
    run: (kind: JobKind, jobId: string) => `${p}.job.run.${kind}.${jobId}`,
    runWildcard: `${p}.job.run.>`,
    dead: (kind: JobKind, jobId: string) => `${p}.job.dead.${kind}.${jobId}`,
    deadWildcard: `${p}.job.dead.>`,
    state: (cron: CronJobName) => `${p}.job.state.${cron}`,
    /** The durable pull consumer every scheduler replica shares. */
    workerConsumer: 'scheduler-workers',
  };
}

/** Header on a parked job and its replay: the job id, for `cm jobs retry <id>`. */
export const JOB_ID_HEADER = 'Cm-Job-Id';
