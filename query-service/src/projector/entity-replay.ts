import {
  branchLineage,
  homeBranchOf,
  MAIN_BRANCH,
  type EventAddress,
  type NatsNames,
  type RowChange,
} from '@cm/contracts';
import type { Nats } from '@cm/platform';
import { readEvents } from './event-history.js';
import { isBranchScoped, projectEvent } from './postgres.projection.js';
import { WriteSet } from './write-set.js';

/**
 * `cm replay --into <projection>` (issue 13): re-projects whole aggregates from the stream, the way an operator
 * debugging a bad row expects ("run the projection again for these entities and show me what changes").
 *
 * Re-delivering only the selected events would change nothing: every row write is guarded by `last_seq`, and the
 * projection has applied them already. Instead each aggregate the range touches is folded from its first event
 * (for a branch-scoped aggregate: its lineage, the parents' events up to each fork, as a fork copies them) up to
 * the projection's checkpoint, through the projection's own pure function (`projectEvent`) and merge (`WriteSet`).
 * The merged rows are then written with the guard relaxed from `<` to `<=` (`last_seq <= seq of the fold`): a row
 * whose last write came from this fold is rewritten with what the fold says, a row a later event wrote (a live
 * write that landed after the checkpoint was read, or another aggregate's event) is left as it is. The checkpoint,
 * the consumer and every other projection are not touched.
 */
export interface ReplayFold {
  /** The merged row writes of every aggregate, as the projector would have written them. */
  set: WriteSet;
  /** Events folded (lineage included). */
  events: number;
  /** The sequence folded up to: the projection's checkpoint when the replay started. */
  uptoSeq: number;
}

/** `events` from a range are folded per aggregate; the lineage of a branch is read from its `BranchForked`. */
export async function foldAggregates(
  nats: Nats,
  names: NatsNames,
  aggregates: readonly EventAddress[],
  uptoSeq: number,
  /** Commits the projection parked (poison events): not applied by it, so not by the replay either. */
  parked: ReadonlySet<number> = new Set(),
): Promise<ReplayFold> {
  const set = new WriteSet();
  let events = 0;
  const forks = new Map<string, { parentBranchId: string; forkedAtSeq: number } | undefined>();
  for (const a of aggregates) {
    const home = homeBranchOf(a.entityType, a.branchId);
    const forkOf = async (branchId: string) => {
      const id = `${a.campaignId}/${branchId}`;
      if (!forks.has(id)) forks.set(id, await forkPoint(nats, names, a.campaignId, branchId));
      return forks.get(id);
    };
    const segments =
      home === MAIN_BRANCH ? [{ branchId: MAIN_BRANCH, uptoSeq }] : await branchLineage(home, forkOf, uptoSeq);
    for (const segment of segments) {
      const filter = names.eventSubject({ ...a, branchId: segment.branchId });
      for await (const { seq, event } of readEvents(nats, names, { filter, uptoSeq: segment.uptoSeq })) {
        if (parked.has(seq)) continue;
        events += 1;
        const own = isBranchScoped(event) ? { ...event, branchId: home } : event;
        // A fork's copy of a whole branch is not this aggregate's row: the branch row itself is rewritten.
        for (const op of projectEvent(own, seq)) if (op.kind !== 'fork') set.add(op);
      }
    }
  }
  return { set, events, uptoSeq };
}

/** Where a branch was forked from, read from its `BranchForked` in the stream (the branch aggregate is filed under main). */
async function forkPoint(
  nats: Nats,
  names: NatsNames,
  campaignId: string,
  branchId: string,
): Promise<{ parentBranchId: string; forkedAtSeq: number } | undefined> {
  const filter = names.eventSubject({ campaignId, branchId: MAIN_BRANCH, entityType: 'branch', entityId: branchId });
  for await (const { event } of readEvents(nats, names, { filter, uptoSeq: Number.MAX_SAFE_INTEGER })) {
    if (event.type === 'BranchForked') return event.data;
  }
  return undefined;
}

/** Field-level difference of two stored rows (values as JSON), and how the row changed. */
export function rowChange(
  table: string,
  key: Record<string, unknown>,
  seq: number,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): RowChange {
  const storedSeq = before?.last_seq === undefined ? null : Number(before.last_seq);
  const base = { table, key, seq, storedSeq };
  if (!after) return { ...base, change: 'missing', fields: [] };
  if (storedSeq !== null && storedSeq > seq) return { ...base, change: 'newer', fields: [] };
  const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])]
    .filter((f) => f !== 'updated_at')
    .sort();
  const fields = names
    .filter((f) => JSON.stringify(before?.[f] ?? null) !== JSON.stringify(after[f] ?? null))
    .map((f) => ({ field: f, before: before?.[f] ?? null, after: after[f] ?? null }));
  const change = !before
    ? 'inserted'
    : fields.length === 0
      ? 'unchanged'
      : after.deleted === true && before.deleted !== true
        ? 'deleted'
        : 'updated';
  return { ...base, change, fields };
}
