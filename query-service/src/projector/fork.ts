import { branchLineage } from '@cm/contracts';
import type { Sql } from '../read-model/sql.js';
import type { EventHistory } from './event-history.js';
import { flushWrites } from './flush-writes.js';
import { isBranchScoped, projectEvent } from './postgres.projection.js';
import { quote, tableRef } from './row-statements.js';
import { allColumns, BRANCH_SCOPED_TABLES, TABLES } from '../read-model/tables.js';
import type { ForkOp } from './write-ops.js';
import { WriteSet } from './write-set.js';

/** How a fork was filled. */
export type ForkOutcome = 'already-applied' | 'copied' | 'replayed';

/**
 * Fills a new branch with its parent's rows as of `forkedAtSeq` (docs/read-model.md, Forks). It runs against
 * the state of every event before the fork, inside the batch's transaction.
 *
 * Copied rows keep their `last_seq`: the branch's own later events are all past the fork and pass the guard,
 * and the parent's rows can tell whether anything changed after `forkedAtSeq` (see `parentMovedSince`).
 */
export async function applyFork(sql: Sql, schema: string, op: ForkOp, history: EventHistory): Promise<ForkOutcome> {
  const branch = await sql.all<{ last_seq: string }>(
    `SELECT last_seq FROM ${tableRef(schema, 'branch')} WHERE campaign_id = ? AND id = ?`,
    [op.campaignId, op.branchId],
  );
  // The branch row is written with the fork, in the same transaction: if it is there, so are the copied rows.
  if (branch[0] && Number(branch[0].last_seq) >= op.seq) return 'already-applied';
  if (!(await parentMovedSince(sql, schema, op))) {
    await copyParentRows(sql, schema, op);
    return 'copied';
  }
  await replayParent(sql, schema, op, history);
  return 'replayed';
}

/**
 * Whether any row of the parent branch (tombstones included) was written by an event after `forkedAtSeq`. If
 * none was, every parent row is exactly as it was at `forkedAtSeq` (rows created later would carry a later
 * sequence too), so a copy is exact. This covers the parent's own events and those it inherited from its
 * ancestors, which is what "the parent's events in (forkedAtSeq, S)" has to mean for a fork of a fork.
 */
async function parentMovedSince(sql: Sql, schema: string, op: ForkOp): Promise<boolean> {
  const probes = BRANCH_SCOPED_TABLES.map(
    (t) => `SELECT 1 FROM ${tableRef(schema, t)} WHERE campaign_id = ? AND branch_id = ? AND last_seq > ?`,
  ).join(' UNION ALL ');
  const params = BRANCH_SCOPED_TABLES.flatMap(() => [op.campaignId, op.parentBranchId, op.forkedAtSeq]);
  const rows = await sql.all(`SELECT EXISTS (${probes}) AS moved`, params);
  return Boolean(rows[0]?.moved);
}

async function copyParentRows(sql: Sql, schema: string, op: ForkOp): Promise<void> {
  for (const table of BRANCH_SCOPED_TABLES) {
    // Every column but `updated_at`, which records when this copy was made.
    const columns = allColumns(TABLES[table])
      .map(([name]) => name)
      .filter((c) => c !== 'updated_at');
    const select = columns.map((c) => (c === 'branch_id' ? '?' : quote(c)));
    await sql.run(
      `INSERT INTO ${tableRef(schema, table)} (${columns.map(quote).join(', ')}, updated_at) ` +
        `SELECT ${select.join(', ')}, now() FROM ${tableRef(schema, table)} WHERE campaign_id = ? AND branch_id = ? ` +
        // Only a partly applied fork could collide, and the transaction rules that out; keep what is there.
        'ON CONFLICT DO NOTHING',
      [op.branchId, op.campaignId, op.parentBranchId],
    );
  }
}

/**
 * Rebuilds the parent's state at `forkedAtSeq` into the new branch by replaying, through the same projection,
 * the campaign's branch-scoped events of the parent's lineage: each ancestor up to where its child forked
 * from it, capped at `forkedAtSeq`.
 */
async function replayParent(sql: Sql, schema: string, op: ForkOp, history: EventHistory): Promise<void> {
  const cutoffs = await lineage(sql, schema, op);
  const set = new WriteSet();
  for await (const { seq, event } of history.campaignEvents(op.campaignId, op.forkedAtSeq)) {
    const cutoff = cutoffs.get(event.branchId);
    if (cutoff === undefined || seq > cutoff || !isBranchScoped(event)) continue;
    for (const write of projectEvent({ ...event, branchId: op.branchId }, seq)) {
      if (write.kind !== 'fork') set.add(write);
    }
  }
  await flushWrites(sql, schema, set);
}

/**
 * The branches whose events the parent is made of, each with the last sequence it contributes: contracts'
 * branch-lineage rule (the one the command service folds aggregates by), with fork points from the branch rows.
 */
async function lineage(sql: Sql, schema: string, op: ForkOp): Promise<Map<string, number>> {
  const rows = await sql.all<{ id: string; parent_branch_id: string | null; forked_at_seq: string | null }>(
    `SELECT id, parent_branch_id, forked_at_seq FROM ${tableRef(schema, 'branch')} WHERE campaign_id = ?`,
    [op.campaignId],
  );
  const branches = new Map(rows.map((r) => [r.id, r]));
  const forkOf = (id: string) => {
    const row = branches.get(id);
    return row && row.parent_branch_id !== null && row.forked_at_seq !== null
      ? { parentBranchId: row.parent_branch_id, forkedAtSeq: Number(row.forked_at_seq) }
      : undefined;
  };
  const segments = await branchLineage(op.parentBranchId, forkOf, op.forkedAtSeq);
  return new Map(segments.map((s) => [s.branchId, s.uptoSeq]));
}
