import type { EventOf } from '@cm/contracts';
import type { AggregateStatus } from '../decider.js';
import { unknownEvent } from '../guards.js';

/**
 * A forked branch. `main` is never forked, so it has no events and stays `absent` here; it exists implicitly
 * with every campaign.
 */
export interface BranchState {
  status: AggregateStatus;
  name: string;
  parentBranchId: string | null;
  /** The parent's stream sequence the branch sees up to; later parent events are not inherited. */
  forkedAtSeq: number | null;
}

export type BranchEvent = EventOf<'branch'>;

export const initialState: BranchState = { status: 'absent', name: '', parentBranchId: null, forkedAtSeq: null };

export function evolve(state: BranchState, event: BranchEvent): BranchState {
  switch (event.type) {
    case 'BranchForked': {
      const { name, parentBranchId, forkedAtSeq } = event.data;
      return { status: 'active', name, parentBranchId, forkedAtSeq };
    }
    case 'BranchRenamed':
      return { ...state, name: event.data.name };
    case 'BranchDeleted':
      return { ...state, status: 'deleted' };
    default:
      return unknownEvent(event);
  }
}
