import { createHash } from 'node:crypto';
import type { AnyJob, JobKind } from '@cm/contracts';
import type { Batch, WorldEventRow } from '../read-model/read-model.adapter.js';
import { windowToken } from '../cron/windows.js';

/** `<kind>:<campaign>:<branch>:<target>`, hashed when it would pass the 200 characters a job id may have. */
export function jobId(kind: JobKind, campaignId: string, branchId: string, target: string): string {
  const id = `${kind}:${campaignId}:${branchId}:${target}`;
  return id.length <= 200
    ? id
    : `${kind}:${createHash('sha256')
        .update(id)
        .digest('base64url')
        .replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * The jobs of a growth or maintenance window set: one per batch. The id names the last window of the set (the
 * claim that planned it) and the batch's position, so replanning the same claim yields the same ids.
 */
export function batchJobs(
  kind: 'settlement-growth' | 'structure-maintenance',
  batches: Batch[],
  windows: string[],
  now: string,
): AnyJob[] {
  const last = windowToken(windows.at(-1)!);
  const position = new Map<string, number>();
  return batches.map((b) => {
    const scope = `${b.campaignId}\u0000${b.branchId}`;
    const i = position.get(scope) ?? 0;
    position.set(scope, i + 1);
    const id = jobId(kind, b.campaignId, b.branchId, `${last}:${i}`);
    return {
      jobId: id,
      kind,
      campaignId: b.campaignId,
      branchId: b.branchId,
      correlationId: `sched:${kind}:${last}`,
      enqueuedAt: now,
      payload: { afterId: b.afterId, toId: b.toId, windows },
    };
  });
}

/**
 * The job a world event needs now: activation while it is scheduled (its handler also expires it when that time
 * has passed too), expiry once it is active. One job id per event and step, whoever plans it (a sweep, the
 * due-time timer of any replica): the job stream stores it once.
 */
export function worldEventJob(
  row: Pick<WorldEventRow, 'campaignId' | 'branchId' | 'id' | 'status' | 'scheduledAt' | 'expiresAt'>,
  now: string,
): AnyJob {
  const kind = row.status === 'scheduled' ? 'world-event-activate' : 'world-event-expire';
  const dueAt = kind === 'world-event-activate' ? row.scheduledAt : row.expiresAt!;
  const id = jobId(kind, row.campaignId, row.branchId, row.id);
  return {
    jobId: id,
    kind,
    campaignId: row.campaignId,
    branchId: row.branchId,
    correlationId: `sched:${kind}:${row.id}`,
    enqueuedAt: now,
    payload: { worldEventId: row.id, dueAt },
  };
}
