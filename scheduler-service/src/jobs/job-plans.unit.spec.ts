import { describe, expect, it } from 'vitest';
import { jobSubjects, parseJob } from '@cm/contracts';
import { batchJobs, jobId, worldEventJob } from './job-plans.js';

const NOW = '2026-01-01T12:00:01.000Z';

describe('batchJobs', () => {
  it('names each batch by the claim (last window) and its position in its campaign branch', () => {
    const jobs = batchJobs(
      'settlement-growth',
      [
        { campaignId: 'c1', branchId: 'main', afterId: null, toId: 's5' },
        { campaignId: 'c1', branchId: 'main', afterId: 's5', toId: null },
        { campaignId: 'c1', branchId: 'alt', afterId: null, toId: null },
      ],
      ['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z'],
      NOW,
    );
    expect(jobs.map((j) => j.jobId)).toEqual([
      'settlement-growth:c1:main:20260101T120000Z:0',
      'settlement-growth:c1:main:20260101T120000Z:1',
      'settlement-growth:c1:alt:20260101T120000Z:0',
    ]);
    // What the planner publishes is what a worker accepts.
    for (const job of jobs) expect(parseJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
  });
});

describe('worldEventJob', () => {
  const row = {
    campaignId: 'c1',
    branchId: 'main',
    id: 'e1',
    scheduledAt: '2026-01-01T12:00:00.000Z',
    expiresAt: '2026-01-01T13:00:00.000Z',
  };
  it('activates a scheduled event and expires an active one, one id per event and step', () => {
    expect(worldEventJob({ ...row, status: 'scheduled' }, NOW)).toMatchObject({
      jobId: 'world-event-activate:c1:main:e1',
      payload: { worldEventId: 'e1', dueAt: row.scheduledAt },
    });
    expect(worldEventJob({ ...row, status: 'active' }, NOW)).toMatchObject({
      jobId: 'world-event-expire:c1:main:e1',
      payload: { dueAt: row.expiresAt },
    });
  });
});

describe('job ids and subjects', () => {
  it('fit a subject token and the 200-character id, even for the longest ids', () => {
    const long = 'x'.repeat(64);
    const id = jobId('structure-maintenance', long, long, `${long}:20260101T120000Z:12`);
    expect(id.length).toBeLessThanOrEqual(200);
    expect(id).toMatch(/^[A-Za-z0-9_:~-]+$/);
    const subjects = jobSubjects({ prefix: 'cm' });
    expect(subjects.run('structure-maintenance', id).split('.')).toHaveLength(5);
    expect(subjects.dead('settlement-growth', 'a:b')).toBe('cm.job.dead.settlement-growth.a:b');
  });

  it('rejects a job with an unknown kind or a bad payload', () => {
    const base = { jobId: 'j', campaignId: 'c', branchId: 'main', correlationId: 'x', enqueuedAt: NOW };
    expect(() => parseJob({ ...base, kind: 'nope', payload: {} })).toThrow();
    expect(() =>
      parseJob({ ...base, kind: 'settlement-growth', payload: { afterId: null, toId: null, windows: [] } }),
    ).toThrow();
  });
});
