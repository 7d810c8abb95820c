import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsNames, type AnyJob } from '@cm/contracts';
import {
  closeNats,
  connectNats,
  createLogger,
  ensureJobStream,
  LOCAL_DEFAULTS,
  natsResources,
  provisionNatsResources,
  type Nats,
} from '@cm/platform';
import { loadSchedulerConfig } from '../config.js';
import { JobQueue, StateMovedError } from './job-queue.js';

// Against the real NATS server, in a job stream of this file's own namespace, deleted afterwards.
const names = natsNames(`jq${randomBytes(4).toString('hex')}`);
let nats: Nats;
let queue: JobQueue;

beforeAll(async () => {
  nats = await connectNats(
    process.env.NATS_URL ?? LOCAL_DEFAULTS.NATS_URL,
    'job-queue-test',
    createLogger('t', { LOG_LEVEL: 'silent', NODE_ENV: 'test', LOG_FORMAT: 'json' }),
  );
  expect(await ensureJobStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 60_000 })).toBe('created');
  expect(await ensureJobStream(nats.jsm, names, { replicas: 1, duplicateWindowMs: 60_000 })).toBe('unchanged');
  // The workers' consumer, as the provisioner makes it for a scheduler configured so.
  const config = loadSchedulerConfig({
    NODE_ENV: 'test',
    DUPLICATE_WINDOW_MS: '60000',
    SCHEDULER_JOB_ACK_WAIT_MS: '5000',
  });
  const resources = natsResources(names, config).filter((r) => r.neededBy.includes('scheduler-service'));
  expect(await provisionNatsResources(nats, resources)).toEqual([
    [`stream ${names.jobStream}`, 'unchanged'],
    ['consumer scheduler-workers', 'created'],
  ]);
  queue = new JobQueue(nats, names);
});

afterAll(async () => {
  await nats.jsm.streams.delete(names.jobStream).catch(() => undefined);
  await closeNats(nats);
});

const job: AnyJob = {
  jobId: 'settlement-growth:c1:main:20260101T120000Z:0',
  kind: 'settlement-growth',
  campaignId: 'c1',
  branchId: 'main',
  correlationId: 'sched:settlement-growth:20260101T120000Z',
  enqueuedAt: '2026-01-01T12:00:00.100Z',
  payload: { afterId: null, toId: null, windows: ['2026-01-01T12:00:00.000Z'] },
};

describe('JobQueue', () => {
  it('lets one planner claim a window: a second claim from the same state is refused', async () => {
    await queue.verifyStream();
    expect(await queue.readState('settlement-growth')).toBeNull();
    const state = { lastWindow: '2026-01-01T12:00:00.000Z', windows: ['2026-01-01T12:00:00.000Z'], published: false };
    const seq = await queue.writeState('settlement-growth', state, 0);
    // A second planner that read "no state" (or any older state) loses.
    await expect(queue.writeState('settlement-growth', { ...state, published: true }, 0)).rejects.toBeInstanceOf(
      StateMovedError,
    );
    const next = await queue.writeState('settlement-growth', { ...state, published: true }, seq);
    expect(await queue.readState('settlement-growth')).toEqual({ state: { ...state, published: true }, seq: next });
    // Only the latest state is kept.
    expect(
      (await nats.jsm.streams.info(names.jobStream, { subjects_filter: `${names.prefix}.job.state.>` })).state.subjects,
    ).toEqual({
      [`${names.prefix}.job.state.settlement-growth`]: 1,
    });
  });

  it('stores a job once however many planners publish it', async () => {
    const first = await queue.publish(job);
    const again = await queue.publish(job);
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ duplicate: true, seq: first.seq });
  });

  it('hands a job to one worker at a time, and parks it on its dead-letter subject', async () => {
    const consumer = await queue.consumer();
    const m = await consumer.next({ expires: 2000 });
    expect(m?.json<AnyJob>().jobId).toBe(job.jobId);
    // Delivered and not acked: nobody else gets it.
    expect(await consumer.next({ expires: 1000 })).toBeNull();
    expect(await queue.backlog()).toMatchObject({ waiting: 0, inFlight: 1 });
    await queue.park(
      {
        job,
        error: { code: 'VALIDATION', message: 'bad' },
        attempts: 3,
        parkedAt: new Date().toISOString(),
        completed: [],
      },
      m!.seq,
    );
    m!.ack();
    const dead = await nats.jsm.streams.getMessage(names.jobStream, {
      last_by_subj: queue.subjects.dead(job.kind, job.jobId),
    });
    expect(dead?.json()).toMatchObject({ job: { jobId: job.jobId }, attempts: 3, error: { code: 'VALIDATION' } });
  });
});
