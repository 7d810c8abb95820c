import type { Command, OwnerType } from '@cm/contracts';
import { buildCommand } from '../command-envelope.js';
import type { GraphQLContext } from '../graphql-context.js';
import type { Loaders } from '../loaders.js';
import { mutationSpecs, type MutationArgs, type MutationSpec, type ResultField } from '../mutation-commands.js';

const resultTypeOf: Record<ResultField, string> = {
  campaign: 'CampaignResult',
  branch: 'BranchResult',
  kingdom: 'KingdomResult',
  location: 'LocationResult',
  settlement: 'SettlementResult',
  structure: 'StructureResult',
  variable: 'StateVariableResult',
  fieldCondition: 'FieldConditionResult',
  worldEvent: 'WorldEventResult',
};

/** Where the read model keeps the entity a command changed. */
const loadEntity: Record<ResultField, (l: Loaders, c: Command) => Promise<unknown>> = {
  campaign: (l, c) => l.campaign.load(c.campaignId),
  branch: (l, c) => l.branch.load({ campaignId: c.campaignId, id: c.aggregateId }),
  kingdom: (l, c) => l.kingdom.load(entityKey(c)),
  location: (l, c) => l.location.load(entityKey(c)),
  settlement: (l, c) => l.settlement.load(entityKey(c)),
  structure: (l, c) => l.structure.load(entityKey(c)),
  fieldCondition: (l, c) => l.fieldCondition.load(entityKey(c)),
  worldEvent: (l, c) => l.worldEvent.load(entityKey(c)),
  variable: (l, c) => {
    const { ownerType, ownerId, key } = c.payload as { ownerType: OwnerType; ownerId: string; key: string };
    return l.variable.load({ campaignId: c.campaignId, branchId: c.branchId, ownerType, ownerId, key });
  },
};

const entityKey = (c: Command) => ({ campaignId: c.campaignId, branchId: c.branchId, id: c.aggregateId });

/** What a mutation resolves to before its `*Result` type's fields are read. */
export interface MutationOutcome {
  __typename: string;
  seq: number;
  commitId: string;
  aggregateVersion: number;
  duplicate: boolean;
  /** The changed entity, or the `STALE_READ` of waiting for it. */
  entity: () => Promise<unknown>;
}

/**
 * Validate, send; when the entity is selected, wait until the projection has applied the commit and load it. A
 * wait that times out does not fail the mutation (the write happened): it fails only the entity field, so the
 * client still gets the `seq` to read with later.
 */
async function runMutation(spec: MutationSpec, args: MutationArgs, ctx: GraphQLContext): Promise<MutationOutcome> {
  const { services } = ctx;
  const command = buildCommand(spec, args, {
    userId: ctx.principal.userId,
    correlationId: ctx.correlationId,
    issuedAt: new Date().toISOString(),
    newId: services.newId,
  });
  const reply = await services.commands.send(command);
  return {
    __typename: resultTypeOf[spec.result],
    seq: reply.seq,
    commitId: reply.commitId,
    aggregateVersion: reply.aggregateVersion,
    duplicate: reply.duplicate === true,
    // Only a client that selects the entity waits for the projection: `seq` alone is known at once, and a client
    // that reads later passes it as `minSeq`. (Mutation fields run one after another, so this wait still ends
    // before the next mutation of the same request starts.)
    entity: async () => {
      if (spec.deletes) return null;
      // The write's sequence becomes the request's floor: the wait ends once either model has applied it, and
      // each read then answers from a model at or past it (Redis can be behind Postgres, or ahead of it).
      await ctx.readAfter(reply.seq);
      // Rows this request read before the write (an earlier mutation's result, say) are stale now.
      ctx.loaders.clearAll();
      return loadEntity[spec.result](ctx.loaders, command);
    },
  };
}

const mutations = Object.fromEntries(
  Object.entries(mutationSpecs).map(([name, spec]) => [
    name,
    (_: unknown, args: MutationArgs, ctx: GraphQLContext) => runMutation(spec, args, ctx),
  ]),
);

const results = Object.fromEntries(
  Object.entries(resultTypeOf).map(([field, typeName]) => [
    typeName,
    { [field]: (outcome: MutationOutcome) => outcome.entity() },
  ]),
);

/** `Mutation` and the `*Result` types. */
export const mutationResolvers = { Mutation: mutations, ...results };
