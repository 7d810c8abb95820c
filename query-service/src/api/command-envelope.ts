import { parseCommand, type Command } from '@cm/contracts';
import { assertIdArguments } from './arguments.js';
import type { MutationArgs, MutationSpec } from './mutation-commands.js';

/** What the request contributes to a command: who, which conversation, when, and how to make ids. */
export interface RequestFacts {
  userId: string;
  correlationId: string;
  /** ISO-8601 time the edge accepted the command; deciders read time from the command, never the clock. */
  issuedAt: string;
  newId: () => string;
}

/**
 * Turns a mutation's arguments into a validated command envelope, or throws `VALIDATION` naming the bad
 * argument or payload field. Nothing is sent before this has passed: bad input changes nothing.
 */
export function buildCommand(spec: MutationSpec, args: MutationArgs, facts: RequestFacts): Command {
  assertIdArguments(args);
  const target = spec.toCommand(args, facts.newId);
  const commandId = typeof args['commandId'] === 'string' ? args['commandId'] : facts.newId();
  return parseCommand({
    commandId,
    type: target.type,
    campaignId: target.campaignId,
    branchId: target.branchId,
    aggregateId: target.aggregateId,
    payload: target.payload,
    actor: { userId: facts.userId },
    correlationId: facts.correlationId,
    issuedAt: facts.issuedAt,
  });
}
