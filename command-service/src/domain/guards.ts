import { AppError, ErrorCode, type EntityType } from '@cm/contracts';
import { refKey, type AggregateRef, type AggregateStatus, type DecideContext } from './decider.js';

/** Creating commands (`create`, `define`, `schedule`, `fork`) need an aggregate that has never existed. */
export function mustBeAbsent(status: AggregateStatus, entityType: EntityType, entityId: string): void {
  if (status !== 'absent') {
    throw new AppError(ErrorCode.ALREADY_EXISTS, `${entityType} ${entityId} already exists`, { entityType, entityId });
  }
}

/** Every other command needs a live aggregate; a deleted one is as good as gone. */
export function mustExist(status: AggregateStatus, entityType: EntityType, entityId: string): void {
  if (status !== 'active') throw notFound({ entityType, entityId });
}

/** A referenced aggregate, whose status the shell loaded into `ctx.refs`, must be live. */
export function mustBeActiveRef(ctx: DecideContext, ref: AggregateRef): void {
  if (ctx.refs[refKey(ref)] !== 'active') throw notFound(ref);
}

function notFound({ entityType, entityId }: AggregateRef): AppError {
  return new AppError(ErrorCode.NOT_FOUND, `${entityType} ${entityId} not found`, { entityType, entityId });
}

/** Exhaustiveness check of a command switch; reaching it at run time means the shell routed a foreign command. */
export function unknownCommand(command: never): never {
  throw new AppError(ErrorCode.INTERNAL, `unknown command type ${(command as { type: string }).type}`);
}

/**
 * Exhaustiveness check of an event switch. An unknown event means a newer writer; folding past it would let
 * this process decide on a state that is wrong, and what it then appends can never be taken back.
 */
export function unknownEvent(event: never): never {
  throw new AppError(ErrorCode.INTERNAL, `unknown event type ${(event as { type: string }).type}`);
}
