import {
  AppError,
  ErrorCode,
  variableAggregateId,
  type EntityType,
  type EventAddress,
  type OwnerType,
  type StoredEvent,
} from '@cm/contracts';
import type { GraphQLContext } from '../graphql-context.js';
import { requireHistoryReader } from '../history/history-access.js';
import type { HistoryClient } from '../history/history-client.js';

interface EntityArgs {
  campaignId: string;
  branchId: string;
  entityType: EntityType;
  entityId: string;
  ownerType?: OwnerType | null;
}

const MAX_FIRST = 500;

function client(ctx: GraphQLContext): HistoryClient {
  if (!ctx.services.history) throw new AppError(ErrorCode.UNAVAILABLE, 'history is not served by this API');
  return ctx.services.history;
}

function pageSize(first: number | null | undefined, fallback: number): number {
  const n = first ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_FIRST)
    throw new AppError(ErrorCode.VALIDATION, `first must be 1..${MAX_FIRST}`, { first });
  return n;
}

/** The aggregate's address; a state variable's aggregate is its owner's variables (`<ownerType>~<ownerId>`). */
function address(a: EntityArgs): EventAddress {
  if (a.entityType !== 'state-variable')
    return { campaignId: a.campaignId, branchId: a.branchId, entityType: a.entityType, entityId: a.entityId };
  if (!a.ownerType)
    throw new AppError(
      ErrorCode.VALIDATION,
      'the state variables of an owner are addressed by ownerType and the owner id as entityId',
    );
  return {
    campaignId: a.campaignId,
    branchId: a.branchId,
    entityType: a.entityType,
    entityId: variableAggregateId(a.ownerType, a.entityId),
  };
}

/**
 * Reads after the caller's role allows it. A first page (`early`) is asked for while the role is looked up, a
 * round trip less: it is a bounded read (`first + 1` commits at most), so a stranger can make the command service
 * do little, and the answer is dropped, the refusal or a bad argument told in the same order as if the role had
 * been checked first. A later page or a snapshot folds everything up to its position, so it waits for the role.
 */
async function authorisedRead<T>(
  ctx: GraphQLContext,
  campaignId: string,
  read: () => Promise<T>,
  early = false,
): Promise<T> {
  if (!early) {
    await requireHistoryReader(ctx, campaignId);
    return read();
  }
  const reading = Promise.resolve().then(read);
  reading.catch(() => undefined);
  await requireHistoryReader(ctx, campaignId);
  return reading;
}

/** An event as `HistoryEvent` shows it: the stored event flattened with its position and metadata. */
export function historyEvent({ seq, time, event }: StoredEvent) {
  return { ...event, ...event.metadata, seq, time };
}

/** A command of a trace: its events, and the command whose event caused it (a saga's command). */
function tracedCommands(events: StoredEvent[]) {
  const commandOfEvent = new Map(events.map((e) => [e.event.id, e.event.metadata.commandId]));
  const commands = new Map<
    string,
    {
      commandId: string;
      userId: string;
      seq: number;
      time: string;
      causedByEventId: string | null;
      causedByCommandId: string | null;
      events: ReturnType<typeof historyEvent>[];
    }
  >();
  for (const stored of events) {
    const { metadata } = stored.event;
    let command = commands.get(metadata.commandId);
    if (!command) {
      const causedByEventId = metadata.causationId === metadata.commandId ? null : metadata.causationId;
      command = {
        commandId: metadata.commandId,
        userId: metadata.userId,
        seq: stored.seq,
        time: stored.time,
        causedByEventId,
        causedByCommandId: causedByEventId ? (commandOfEvent.get(causedByEventId) ?? null) : null,
        events: [],
      };
      commands.set(metadata.commandId, command);
    }
    command.events.push(historyEvent(stored));
  }
  return [...commands.values()];
}

/** `Query` fields of the history schema: authorised first (owners and GMs), then read from the stream. */
export const historyResolvers = {
  Query: {
    entityHistory: async (
      _: unknown,
      args: EntityArgs & { after?: number | null; first?: number | null },
      ctx: GraphQLContext,
    ) => {
      const after = args.after ?? 0;
      const page = await authorisedRead(
        ctx,
        args.campaignId,
        () => client(ctx).entityPage(address(args), after, pageSize(args.first, 20)),
        after === 0,
      );
      return {
        ...page,
        entries: page.entries.map((e) => ({
          event: historyEvent(e),
          changes: e.changes.map((c) => ({ before: null, after: null, ...c })),
        })),
      };
    },

    entityAt: async (
      _: unknown,
      args: EntityArgs & { seq?: number | null; time?: string | null },
      ctx: GraphQLContext,
    ) => {
      const snapshot = await authorisedRead(ctx, args.campaignId, () =>
        client(ctx).entityAt(address(args), {
          ...(args.seq != null ? { seq: args.seq } : {}),
          ...(args.time ? { time: args.time } : {}),
        }),
      );
      return { ...snapshot, entityType: args.entityType, entityId: args.entityId, branchId: args.branchId };
    },

    events: async (
      _: unknown,
      args: {
        campaignId: string;
        branchId?: string | null;
        types?: string[] | null;
        entityId?: string | null;
        fromSeq?: number | null;
        toSeq?: number | null;
        fromTime?: string | null;
        toTime?: string | null;
        first?: number | null;
        after?: number | null;
      },
      ctx: GraphQLContext,
    ) => {
      await requireHistoryReader(ctx, args.campaignId);
      for (const t of [args.fromTime, args.toTime])
        if (t && Number.isNaN(Date.parse(t)))
          throw new AppError(ErrorCode.VALIDATION, 'fromTime and toTime are ISO-8601 timestamps', { time: t });
      const page = await client(ctx).events({ ...args, first: pageSize(args.first, 50) });
      return { ...page, events: page.events.map(historyEvent) };
    },

    commandTrace: async (
      _: unknown,
      args: { campaignId: string; commandId?: string | null; correlationId?: string | null },
      ctx: GraphQLContext,
    ) => {
      await requireHistoryReader(ctx, args.campaignId);
      if (!args.commandId === !args.correlationId)
        throw new AppError(ErrorCode.VALIDATION, 'give exactly one of commandId and correlationId');
      const trace = await client(ctx).trace(
        args.campaignId,
        args.commandId ? { commandId: args.commandId } : { correlationId: args.correlationId! },
      );
      if (!trace) throw new AppError(ErrorCode.NOT_FOUND, 'no events of that command in this campaign');
      return { correlationId: trace.correlationId, commands: tracedCommands(trace.events) };
    },
  },
};
