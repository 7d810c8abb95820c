import type { ConsumerMessages } from '@nats-io/jetstream';
import { decodeCommit, type AnyEvent, type NatsNames } from '@cm/contracts';
import { CACHE_INVALIDATION_CONSUMER, type Logger, type Nats } from '@cm/platform';
import type { ReadModel } from '../read-model/read-model.port.js';
import type { Cache, DeleteOptions } from './cache.port.js';
import { markTtlSeconds } from './computed-fields-cache.js';
import { factNeeded, invalidationOf, type Fact, type FactNeed } from './invalidation.js';

export interface CacheInvalidatorOptions {
  nats: Nats;
  names: NatsNames;
  cache: Cache;
  /** Where the parents an event does not name are looked up. */
  readModel: Pick<
    ReadModel,
    | 'settlementsByKeys'
    | 'structuresByKeys'
    | 'fieldConditionsByKeys'
    | 'structuresBySettlements'
    | 'settlementsByParents'
  >;
  logger: Logger;
  /**
   * Resolves once the read model the cache is filled from has applied `seq` (rejects after a bound). Absent: the
   * deletions do not wait (tests of the mapping alone).
   */
  readModelAt?: (seq: number) => Promise<void>;
  /** The second deletion's delay, in ms (see `handle`). */
  redeleteMs?: number;
  /** How long a computed-field mark lives (computed-fields-cache.ts `markTtlSeconds`). */
  markTtlSeconds?: number;
}

/** How long after the first deletion the same entries are deleted again (see `handle`). */
const REDELETE_MS = 500;

/** Longest pause before a failed message is redelivered (the delay grows with its deliveries). */
const MAX_RETRY_DELAY_MS = 5_000;

/**
 * Deletes the cache entries each event of CM_EVENTS makes wrong, as `invalidation.ts` maps them. Every API
 * replica runs one on the shared durable `cache-invalidation` (see `cacheInvalidationConsumerConfig` for why
 * shared, without a lease). A message is acked once its deletions are done; one whose deletions fail (Redis
 * away) is redelivered until they succeed, so an invalidation is never skipped.
 */
export class CacheInvalidator {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  /** Highest stream sequence this instance has finished invalidating (for /ready and tests). */
  handledSeq = 0;

  constructor(private readonly opts: CacheInvalidatorOptions) {}

  async start(): Promise<void> {
    const { nats, names } = this.opts;
    await nats.jsm.consumers.info(names.eventStream, CACHE_INVALIDATION_CONSUMER).catch(() => {
      throw new Error(
        `consumer ${CACHE_INVALIDATION_CONSUMER} on ${names.eventStream} does not exist; run \`npm run cm -- provision\``,
      );
    });
    const consumer = await nats.js.consumers.get(names.eventStream, CACHE_INVALIDATION_CONSUMER);
    this.messages = await consumer.consume({ max_messages: 200 });
    this.loop = this.run(this.messages);
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      try {
        await this.handle(decodeCommit(m.data).events, m.seq);
        m.ack();
        this.handledSeq = Math.max(this.handledSeq, m.seq);
      } catch (err) {
        this.opts.logger.warn(
          { err: (err as Error).message, seq: m.seq, delivery: m.info.deliveryCount },
          'cache invalidation failed; will retry',
        );
        m.nak(Math.min(250 * m.info.deliveryCount, MAX_RETRY_DELAY_MS));
      }
    }
  }

  /**
   * The deletions of one commit (at stream sequence `seq`), de-duplicated (a commit's events share their aggregate,
   * so often their keys). They wait until the read model has applied the commit: deleted earlier, an entry could
   * be filled again at once from the read model as it was before the commit, and stay for its TTL. A fill that read
   * the read model just before the commit and writes just after the deletion would still leave such an entry, so
   * the same entries are deleted once more a moment later (a reader's round trip is far shorter than that). An
   * entry that already reflects the commit (its `seq` at or past it: filled after the read model applied it) is
   * kept both times: deleting it would only cost the next reader a miss.
   *
   * Computed fields come from the rules service, which follows the stream on its own and may answer from before
   * the commit even after the read model has applied it. Their branch's mark is raised to `seq` before anything is
   * deleted, and a write-back below the mark is refused (computed-fields-cache.ts), so none is left stale and they
   * are not deleted a second time.
   */
  async handle(events: readonly AnyEvent[], seq?: number): Promise<void> {
    if (seq !== undefined && this.opts.readModelAt) await this.opts.readModelAt(seq);
    const keys = new Set<string>();
    const patterns = new Set<string>();
    const marks = new Set<string>();
    for (const event of events) {
      const need = factNeeded(event);
      const found = invalidationOf(event, need ? await this.lookUp(event, need) : null);
      for (const key of found.keys) keys.add(key);
      for (const pattern of found.patterns) patterns.add(pattern);
      for (const mark of found.marks) marks.add(mark);
    }
    if (seq !== undefined && marks.size)
      await this.opts.cache.raiseMarks([...marks], seq, this.opts.markTtlSeconds ?? markTtlSeconds(0));
    const fresher = seq === undefined ? {} : { below: seq };
    await this.remove([...keys], [...patterns], fresher);
    // Computed fields need no second deletion when their mark was raised: a late write-back is refused, and a second
    // deletion would only drop the fresh entries written since.
    const guarded = (k: string) => seq !== undefined && k.includes(':computed-fields:');
    const againKeys = [...keys].filter((k) => !guarded(k));
    const againPatterns = [...patterns].filter((p) => !guarded(p));
    if (againKeys.length === 0 && againPatterns.length === 0) return;
    const again = setTimeout(() => {
      this.remove(againKeys, againPatterns, fresher).catch((err: unknown) =>
        this.opts.logger.warn({ err: (err as Error).message }, 'cache re-invalidation failed'),
      );
    }, this.opts.redeleteMs ?? REDELETE_MS);
    again.unref();
  }

  private async remove(keys: string[], patterns: string[], opts: DeleteOptions): Promise<void> {
    await this.opts.cache.del(keys, opts);
    for (const pattern of patterns) await this.opts.cache.delPattern(pattern, opts);
  }

  private async lookUp(event: AnyEvent, need: FactNeed): Promise<Fact> {
    const scope = { campaignId: event.campaignId, branchId: event.branchId };
    const { readModel } = this.opts;
    switch (need.kind) {
      case 'settlement-kingdom': {
        const [[row], [structures]] = await Promise.all([
          readModel.settlementsByKeys([{ ...scope, id: need.settlementId }]),
          readModel.structuresBySettlements([{ ...scope, settlementId: need.settlementId }]),
        ]);
        return {
          parent: row?.kingdomId ?? null,
          location: row?.locationId ?? null,
          // A settlement the read model does not hold: its structures are not known either.
          children: row ? (structures ?? []).map((s) => s.id) : null,
        };
      }
      case 'kingdom-settlements': {
        const [settlements] = await readModel.settlementsByParents([{ ...scope, kingdomId: need.kingdomId }]);
        return { children: (settlements ?? []).map((s) => s.id) };
      }
      case 'structure-settlement':
        return (await readModel.structuresByKeys([{ ...scope, id: need.structureId }]))[0]?.settlementId ?? null;
      case 'condition-entity-type':
        return (await readModel.fieldConditionsByKeys([{ ...scope, id: need.conditionId }]))[0]?.entityType ?? null;
      default: {
        const never: never = need;
        throw new Error(`unknown fact ${JSON.stringify(never)}`);
      }
    }
  }
}
