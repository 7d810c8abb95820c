import DataLoader from 'dataloader';
import {
  AppError,
  ErrorCode,
  type ComputedFieldValue,
  type EntityComputedFields,
  type NatsNames,
  type OwnerType,
  type RulesEvaluateReply,
  type RulesEvaluateRequest,
} from '@cm/contracts';
import type { NatsConnection } from '@cm/platform';
import { cachedComputedFields, type ComputedEntry, type ComputedFieldsOf } from '../cache/computed-fields-cache.js';
import { requireBranch, requireMember } from './access.js';
import type { GraphQLContext } from './graphql-context.js';

const decoder = new TextDecoder();

/**
 * Asks the rules service (`<prefix>.rules.evaluate`, queue group) for computed fields. The Redis
 * `computed-fields:` cache of the read side stands in front of it in the loader below; `explainComputedField`
 * asks it directly (an explanation is never cached).
 */
export class RulesClient {
  constructor(private readonly opts: { nc: NatsConnection; names: NatsNames; timeoutMs: number }) {}

  async evaluate(req: RulesEvaluateRequest): Promise<Extract<RulesEvaluateReply, { ok: true }>> {
    const subject = this.opts.names.rulesEvaluateSubject;
    let reply: RulesEvaluateReply;
    try {
      const msg = await this.opts.nc.request(subject, JSON.stringify(req), { timeout: this.opts.timeoutMs });
      reply = JSON.parse(decoder.decode(msg.data)) as RulesEvaluateReply;
    } catch (e) {
      const text = String((e as Error)?.message ?? e);
      if (/no responders/i.test(text) || (e as { isNoResponders?: () => boolean }).isNoResponders?.()) {
        throw new AppError(ErrorCode.UNAVAILABLE, 'no rules service is available', { subject });
      }
      if (/timeout/i.test(text))
        throw new AppError(ErrorCode.TIMEOUT, 'the rules service did not answer in time', { subject });
      throw new AppError(ErrorCode.UNAVAILABLE, `the rules service cannot be reached: ${text}`, { subject });
    }
    if (!reply.ok) throw AppError.from(reply.error);
    return reply;
  }
}

type EntityKey = ComputedFieldsOf;

type ComputedLoader = DataLoader<EntityKey, ComputedFieldValue[], string>;
const loaders = new WeakMap<GraphQLContext, ComputedLoader>();

/**
 * The request's computed-field loader: every entity asked for in one tick (one level of a nested list) is looked
 * up in the cache with one MGET (when the API has one), and the misses go to the rules service as one batch per
 * campaign branch. The batch asks for at least the sequence the read model had applied when it was sent, which
 * is at or past the request's `minSeq` once the root field waited for it; a cached entry serves only if it
 * reflects the request's `minSeq` (see cache/computed-fields-cache.ts).
 */
function loaderOf(ctx: GraphQLContext): ComputedLoader {
  let loader = loaders.get(ctx);
  if (loader) return loader;
  const rules = rulesOf(ctx);
  const evaluate = async (keys: readonly EntityKey[]): Promise<ComputedEntry[]> => {
    const groups = new Map<string, EntityKey[]>();
    for (const k of keys) {
      const g = `${k.campaignId}|${k.branchId}`;
      const group = groups.get(g);
      if (group) group.push(k);
      else groups.set(g, [k]);
    }
    const answers = new Map<string, ComputedEntry>();
    const minSeq = Math.max(ctx.services.tracker.appliedSeq, ctx.requiredSeq());
    await Promise.all(
      [...groups.values()].map(async (group) => {
        const { campaignId, branchId } = group[0]!;
        const reply = await rules.evaluate({
          campaignId,
          branchId,
          minSeq,
          entities: group.map(({ entityType, entityId }) => ({ entityType, entityId })),
          correlationId: ctx.correlationId,
        });
        reply.entities.forEach((e: EntityComputedFields, i) =>
          answers.set(cacheKey(group[i]!), { seq: reply.seq, fields: e.fields }),
        );
      }),
    );
    return keys.map((k) => answers.get(cacheKey(k)) ?? { seq: 0, fields: [] });
  };
  const cache = ctx.services.computedFieldsCache;
  loader = new DataLoader<EntityKey, ComputedFieldValue[], string>(
    async (keys) =>
      cache
        ? cachedComputedFields(cache, keys, ctx.requiredSeq(), evaluate)
        : (await evaluate(keys)).map((e) => e.fields),
    { cacheKeyFn: cacheKey },
  );
  loaders.set(ctx, loader);
  return loader;
}

function rulesOf(ctx: GraphQLContext): RulesClient {
  if (!ctx.services.rules) throw new AppError(ErrorCode.UNAVAILABLE, 'this API has no rules service configured');
  return ctx.services.rules;
}

const cacheKey = (k: EntityKey) => `${k.campaignId}|${k.branchId}|${k.entityType}|${k.entityId}`;

type Row = { campaignId: string; branchId: string; id: string };

const onEntity = (entityType: OwnerType) => ({
  computedFields: (row: Row, _: unknown, ctx: GraphQLContext) =>
    loaderOf(ctx).load({ campaignId: row.campaignId, branchId: row.branchId, entityType, entityId: row.id }),
  computed: async (row: Row, { field }: { field: string }, ctx: GraphQLContext) =>
    (
      await loaderOf(ctx).load({ campaignId: row.campaignId, branchId: row.branchId, entityType, entityId: row.id })
    ).find((f) => f.field === field) ?? null,
});

/** A campaign row has no branch: its computed fields take one, which must exist. */
const onCampaign = {
  computedFields: async (c: { id: string }, { branchId }: { branchId: string }, ctx: GraphQLContext) => {
    await requireBranch(ctx, c.id, branchId);
    return loaderOf(ctx).load({ campaignId: c.id, branchId, entityType: 'campaign', entityId: c.id });
  },
  computed: async (
    c: { id: string },
    { field, branchId }: { field: string; branchId: string },
    ctx: GraphQLContext,
  ) => {
    await requireBranch(ctx, c.id, branchId);
    return (
      (await loaderOf(ctx).load({ campaignId: c.id, branchId, entityType: 'campaign', entityId: c.id })).find(
        (f) => f.field === field,
      ) ?? null
    );
  },
};

interface ExplainArgs {
  campaignId: string;
  branchId: string;
  entityType: OwnerType;
  entityId: string;
  field: string;
  minSeq?: number | null;
}

/** `computedFields` and `computed(field:)` on every entity type, and `explainComputedField`. */
export const computedFieldResolvers = {
  Campaign: onCampaign,
  Kingdom: onEntity('kingdom'),
  Location: onEntity('location'),
  Settlement: onEntity('settlement'),
  Structure: onEntity('structure'),
  WorldEvent: onEntity('world-event'),
  Query: {
    explainComputedField: async (_: unknown, args: ExplainArgs, ctx: GraphQLContext) => {
      await ctx.readAfter(args.minSeq);
      await requireMember(ctx, args.campaignId);
      await requireBranch(ctx, args.campaignId, args.branchId);
      const reply = await rulesOf(ctx).evaluate({
        campaignId: args.campaignId,
        branchId: args.branchId,
        minSeq: ctx.services.tracker.appliedSeq,
        entities: [{ entityType: args.entityType, entityId: args.entityId }],
        fields: [args.field],
        explain: args.field,
        correlationId: ctx.correlationId,
      });
      const entity = reply.entities[0];
      if (!entity?.found || !entity.explanation) return null;
      const { condition, ...rest } = entity.explanation;
      return {
        ...rest,
        seq: reply.seq,
        condition: condition && {
          ...condition,
          field: args.field,
          active: true,
          campaignId: args.campaignId,
          branchId: args.branchId,
          seq: reply.seq,
        },
      };
    },
  },
};
