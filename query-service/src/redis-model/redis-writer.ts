import { randomUUID } from 'node:crypto';
import { MAIN_BRANCH } from '@cm/contracts';
import type { EventHistory } from '../projector/event-history.js';
import { ModelLostError, type ProjectionSink } from '../projector/postgres-projector.js';
import { isBranchScoped, projectEvent, type SequencedEvent } from '../projector/postgres.projection.js';
import { CheckpointMovedError } from '../projector/projection-writer.js';
import type { ForkOp, WriteOp } from '../projector/write-ops.js';
import { WriteSet, type MergedRow } from '../projector/write-set.js';
import { TABLES, type TableName } from '../read-model/tables.js';
import type { ModelRedis } from './redis-client.js';
import { LIST_SPECS_ARG, REDIS_PROJECTION, RedisKeys } from './redis-keys.js';

/** Where a writer writes: the live generation (following the pointer under the model's base prefix) or a shadow. */
export type ModelLocation = { live: string } | { shadow: string };

/** Why the generation a writer was writing is not the one to write any more (`stored`: what the script found). */
function describeLoss(stored: string, mine: string): string {
  if (stored === '') return 'generation marker missing (Redis flushed or restarted empty)';
  if (stored === 'swapped') return `generation ${mine} replaced by a rebuild's swap`;
  return `generation ${stored} replaced ${mine}`;
}

/** How a fork was filled in Redis: skipped (its branch row is already there) or replayed from the stream. */
type RedisForkOutcome = 'already-applied' | 'replayed';

/** JSON of a column value as stored: timestamps normalised the way Postgres returns them (ISO, ms, UTC). */
export function encodeValue(table: TableName, column: string, value: unknown): string {
  const spec =
    (TABLES[table].values as Record<string, { type: string }>)[column] ??
    (TABLES[table].key as Record<string, { type: string }>)[column];
  if (spec?.type === 'timestamptz' && value !== null && value !== undefined)
    return JSON.stringify(new Date(String(value)).toISOString());
  return JSON.stringify(value ?? null);
}

/** One row as WRITE_BATCH and REPLAY_ROWS read it, every element a string. */
export function pushRowArgs(rows: string[], keys: RedisKeys, kind: 'u' | 'p', table: TableName, row: MergedRow): void {
  const { scope, rest } = keys.address(table, row.key);
  const fields = kind === 'u' ? { ...row.key, ...row.values } : row.values;
  const names = Object.keys(fields);
  rows.push(kind, table, scope, rest, String(row.seq), String(names.length));
  for (const name of names) rows.push(name, encodeValue(table, name, fields[name]));
}

/**
 * Applies batches of events to the Redis read model through the same pure projection as Postgres
 * (`projectEvent`): the row writes, merged per row (`WriteSet`), become one `WRITE_BATCH` script call with the
 * checkpoint, fenced by the generation and by the checkpoint this writer expects. A fork is replayed from the
 * stream into the new branch (the parent's events up to the fork, as `fork.ts` does when the parent moved).
 */
export class RedisProjectionWriter implements ProjectionSink {
  readonly projection = REDIS_PROJECTION;
  /** Keys of the generation written, known once `checkpoint()` has resolved the live one. */
  keys: RedisKeys;
  private generation: string | undefined;
  /** The model's base prefix, whose pointer names the live generation; '' for a shadow's writer. */
  private readonly base: string;

  constructor(
    private readonly client: ModelRedis,
    /** The live generation (`live`: the model's base prefix, following its pointer) or a shadow at a fixed prefix. */
    location: ModelLocation,
    private readonly history: EventHistory,
    /** The stream's last sequence: a new generation is `complete` once its checkpoint reaches it. */
    private readonly streamHead: () => Promise<number>,
  ) {
    this.base = 'live' in location ? location.live : '';
    this.keys = new RedisKeys('live' in location ? location.live : location.shadow);
  }

  /**
   * The stored checkpoint of the generation written (the live one: wherever a rebuild's swap pointed it); starts a
   * generation at 0 when its marker is missing.
   */
  async checkpoint(): Promise<number> {
    const target = await this.streamHead();
    const [prefix, gen, seq] = await this.client.ensureGeneration(this.base, this.keys.prefix, randomUUID(), target);
    this.keys = new RedisKeys(prefix);
    this.generation = gen;
    return Number(seq);
  }

  async lost(): Promise<string | undefined> {
    if (this.generation === undefined) return undefined;
    if (this.base === '') {
      const gen = await this.client.redis.hget(this.keys.meta, 'gen');
      return gen === this.generation ? undefined : describeLoss(gen ?? '', this.generation);
    }
    const [prefix, gen] = await this.client.generation(this.base);
    if (prefix !== this.keys.prefix) return describeLoss('swapped', this.generation);
    return gen === this.generation ? undefined : describeLoss(gen, this.generation);
  }

  /** `events` in stream order; several may share a sequence (one commit). */
  async apply(
    events: readonly SequencedEvent[],
    opts: { expectedCheckpoint: number },
  ): Promise<{ checkpoint: number; forks: RedisForkOutcome[] }> {
    const expected = opts.expectedCheckpoint;
    let last = expected;
    const set = new WriteSet();
    const forks: RedisForkOutcome[] = [];
    for (const { seq, event } of events) {
      last = Math.max(last, seq);
      for (const op of projectEvent(event, seq)) {
        if (op.kind !== 'fork') {
          set.add(op);
          continue;
        }
        // A fork reads the parent's rows and the branch rows: what comes before it is written first (fenced, the
        // checkpoint unmoved; every row carries its guard, so a retry of the whole batch rewrites nothing).
        await this.flush(set, expected, expected);
        forks.push(await this.fork(op, expected));
      }
    }
    await this.flush(set, expected, last);
    return { checkpoint: last, forks };
  }

  private async flush(set: WriteSet, expected: number, to: number): Promise<void> {
    if (this.generation === undefined) throw new ModelLostError('no generation read yet');
    const rows: string[] = [];
    for (const { table, upserts, patches } of set.tables()) {
      for (const row of upserts) this.pushRow(rows, 'u', table, row);
      for (const group of patches) for (const row of group.rows) this.pushRow(rows, 'p', table, row);
    }
    set.clear();
    const [status, detail] = await this.client.writeBatch([
      this.base,
      this.keys.prefix,
      this.generation,
      expected,
      to,
      LIST_SPECS_ARG,
      JSON.stringify(rows),
    ]);
    if (status === 'GEN') throw new ModelLostError(describeLoss(detail, this.generation));
    if (status === 'MOVED') throw new CheckpointMovedError(expected, Number(detail));
  }

  private pushRow(rows: string[], kind: 'u' | 'p', table: TableName, row: MergedRow): void {
    pushRowArgs(rows, this.keys, kind, table, row);
  }

  /**
   * Fills a new branch with its parent's rows as of `forkedAtSeq` by replaying the campaign's branch-scoped
   * events of the parent's lineage through the projection (each ancestor up to where its child forked).
   */
  private async fork(op: ForkOp, expected: number): Promise<RedisForkOutcome> {
    const branchKey = this.keys.doc('branch', { campaign_id: op.campaignId, id: op.branchId });
    const written = await this.client.redis.hget(branchKey, 'last_seq');
    if (written !== null && Number(written) >= op.seq) return 'already-applied';
    const cutoffs = await this.lineage(op);
    const set = new WriteSet();
    for await (const { seq, event } of this.history.campaignEvents(op.campaignId, op.forkedAtSeq)) {
      const cutoff = cutoffs.get(event.branchId);
      if (cutoff === undefined || seq > cutoff || !isBranchScoped(event)) continue;
      for (const write of projectEvent({ ...event, branchId: op.branchId }, seq) as WriteOp[]) {
        if (write.kind !== 'fork') set.add(write);
      }
    }
    await this.flush(set, expected, expected);
    return 'replayed';
  }

  /** The branches whose events the parent is made of, each with the last sequence it contributes. */
  private async lineage(op: ForkOp): Promise<Map<string, number>> {
    const cutoffs = new Map<string, number>();
    let branchId = op.parentBranchId;
    let cutoff = op.forkedAtSeq;
    for (let depth = 0; ; depth += 1) {
      cutoffs.set(branchId, cutoff);
      if (branchId === MAIN_BRANCH) return cutoffs;
      const [parent, forkedAt] = await this.client.redis.hmget(
        this.keys.doc('branch', { campaign_id: op.campaignId, id: branchId }),
        'parent_branch_id',
        'forked_at_seq',
      );
      const parentId = parent ? (JSON.parse(parent) as string | null) : null;
      const at = forkedAt ? (JSON.parse(forkedAt) as number | null) : null;
      if (parentId === null || at === null || depth > 64)
        throw new Error(`cannot trace branch ${branchId} of campaign ${op.campaignId} back to ${MAIN_BRANCH}`);
      cutoff = Math.min(cutoff, at);
      branchId = parentId;
    }
  }
}
