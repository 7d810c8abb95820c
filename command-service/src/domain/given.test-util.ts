import {
  AppError,
  entityTypeOfEvent,
  type AnyEvent,
  type Command,
  type CommandEnvelope,
  type CommandPayload,
  type CommandType,
  type ErrorCode,
} from '@cm/contracts';
import { expect } from 'vitest';
import type { DecideContext, Decider, EventDraft } from './decider.js';

/** An event as a test writes it: only what `evolve` reads. */
export type GivenEvent<E extends AnyEvent> = E extends AnyEvent ? { type: E['type']; data: E['data'] } : never;

export const CAMPAIGN_ID = 'c1';
export const OWNER = 'u-owner';

/** A command envelope with fixed, readable defaults; `overrides` sets the aggregate id and the rest. */
export function command<T extends CommandType>(
  type: T,
  payload: CommandPayload<T>,
  overrides: Partial<Omit<CommandEnvelope<T>, 'type' | 'payload'>> = {},
): CommandEnvelope<T> {
  return {
    commandId: 'cmd-1',
    type,
    campaignId: CAMPAIGN_ID,
    branchId: 'main',
    aggregateId: 'a1',
    payload,
    actor: { userId: OWNER },
    correlationId: 'corr-1',
    issuedAt: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

/** Wraps test events into stored events, numbered as the shell would number them. */
export function stored<E extends AnyEvent>(events: ReadonlyArray<GivenEvent<E>>, entityId = 'a1'): E[] {
  return events.map(
    (event, i) =>
      ({
        id: `commit-${i + 1}:0`,
        type: event.type,
        schemaVersion: 1,
        campaignId: CAMPAIGN_ID,
        branchId: 'main',
        entityType: entityTypeOfEvent[event.type],
        entityId,
        aggregateVersion: i + 1,
        data: event.data,
        metadata: {
          commandId: `cmd-${i + 1}`,
          correlationId: `corr-${i + 1}`,
          causationId: `cmd-${i + 1}`,
          userId: OWNER,
          occurredAt: '2024-05-01T11:00:00.000Z',
        },
      }) as E,
  );
}

/**
 * Given/when/then over a decider, after Emmett's `DeciderSpecification`: folds `events` with `evolve`, then
 * runs `decide` on the result. `ctx` defaults to no refs, a head sequence of 0, a campaign
 * that began at sequence 0 and no siblings.
 */
export function given<C extends Command, E extends AnyEvent, S>(
  decider: Decider<C, E, S>,
  events: ReadonlyArray<GivenEvent<E>> = [],
) {
  const state = stored(events).reduce((s, e) => decider.evolve(s, e), decider.initialState);
  return {
    state,
    when(cmd: C, ctx: Partial<DecideContext<S>> = {}) {
      const run = () =>
        decider.decide(cmd, state, { refs: {}, headSeq: 0, campaignSince: 0, siblings: new Map(), ...ctx });
      return {
        then(expected: EventDraft[]): void {
          expect(run()).toEqual(expected);
        },
        thenThrows(code: ErrorCode, message?: string | RegExp): void {
          let thrown: unknown;
          try {
            run();
          } catch (e) {
            thrown = e;
          }
          expect(thrown, 'decide should have thrown').toBeInstanceOf(AppError);
          expect((thrown as AppError).code).toBe(code);
          if (message !== undefined) expect((thrown as AppError).message).toMatch(message);
        },
      };
    },
  };
}
