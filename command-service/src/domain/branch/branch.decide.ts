import { AppError, ErrorCode, MAIN_BRANCH, type CommandOf } from '@cm/contracts';
import type { AggregateRef, AggregateStatus, DecideContext, Decider, EventDraft } from '../decider.js';
import { mustBeAbsent, mustBeActiveRef, mustExist, unknownCommand } from '../guards.js';
import { evolve, initialState, type BranchEvent, type BranchState } from './branch.state.js';

export type BranchCommand = CommandOf<'branch'>;

export function decide(command: BranchCommand, state: BranchState, ctx: DecideContext): EventDraft[] {
  const id = command.aggregateId;
  if (command.type === 'branch.fork') {
    // `main` has no events of its own, so its state reads absent; it exists all the same.
    mustBeAbsent(id === MAIN_BRANCH ? 'active' : state.status, 'branch', id);
    const { parentBranchId, name, atSeq } = command.payload;
    if (atSeq !== undefined && atSeq > ctx.headSeq) {
      throw new AppError(ErrorCode.VALIDATION, `cannot fork at sequence ${atSeq}: the stream ends at ${ctx.headSeq}`, {
        atSeq,
        headSeq: ctx.headSeq,
      });
    }
    // Before its first event the campaign did not exist: a branch of that moment would be a branch of nothing.
    if (atSeq !== undefined && atSeq < ctx.campaignSince) {
      throw new AppError(
        ErrorCode.VALIDATION,
        `cannot fork at sequence ${atSeq}: the campaign begins at ${ctx.campaignSince}`,
        {
          atSeq,
          campaignSince: ctx.campaignSince,
        },
      );
    }
    for (const ref of refsOf(command)) mustBeActiveRef(ctx, ref);
    return [{ type: 'BranchForked', data: { name, parentBranchId, forkedAtSeq: atSeq ?? ctx.headSeq } }];
  }
  if (command.type === 'branch.delete' && id === MAIN_BRANCH) {
    throw new AppError(ErrorCode.INVALID_STATE, 'the main branch cannot be deleted');
  }
  mustExist(state.status, 'branch', id);

  switch (command.type) {
    case 'branch.rename':
      if (command.payload.name === state.name) return [];
      return [{ type: 'BranchRenamed', data: { name: command.payload.name } }];
    case 'branch.delete':
      return [{ type: 'BranchDeleted', data: {} }];
    default:
      return unknownCommand(command);
  }
}

export function refsOf(command: BranchCommand): AggregateRef[] {
  if (command.type !== 'branch.fork' || command.payload.parentBranchId === MAIN_BRANCH) return [];
  return [{ entityType: 'branch', entityId: command.payload.parentBranchId }];
}

export function statusOf(state: BranchState): AggregateStatus {
  return state.status;
}

export const branchDecider: Decider<BranchCommand, BranchEvent, BranchState> = {
  entityType: 'branch',
  initialState,
  evolve,
  decide,
  refsOf,
  statusOf,
  commands: {
    'branch.fork': { creates: true, needsHeadSeq: true },
    'branch.rename': {},
    'branch.delete': {},
  },
};
