import type { EntityType } from './domain.js';
import { AppError, ErrorCode } from './errors.js';
import { MAIN_BRANCH } from './ids.js';

/**
 * Where an aggregate type lives. `campaign`: one instance per campaign, filed under `main` whatever branch a
 * command names (the campaign itself and its branches). `branch`: one instance per campaign branch, inherited by
 * forks.
 */
const AGGREGATE_SCOPE = {
  campaign: 'campaign',
  branch: 'campaign',
  kingdom: 'branch',
  location: 'branch',
  settlement: 'branch',
  structure: 'branch',
  'state-variable': 'branch',
  'field-condition': 'branch',
  'world-event': 'branch',
} as const satisfies Record<EntityType, 'campaign' | 'branch'>;

/** The branch an aggregate of `entityType` named in `branchId` is filed under: the sender and the command service agree on it. */
export function homeBranchOf(entityType: EntityType, branchId: string): string {
  return AGGREGATE_SCOPE[entityType] === 'campaign' ? MAIN_BRANCH : branchId;
}

/** Where a branch was taken from. */
export interface ForkPoint {
  parentBranchId: string;
  /** The parent's stream sequence the branch sees up to. */
  forkedAtSeq: number;
}

/** One branch's share of a lineage: its events with a stream sequence up to `uptoSeq`. */
export interface LineageSegment {
  branchId: string;
  uptoSeq: number;
}

/** Deeper than this is a loop in corrupt data, not a real history of forks. */
const MAX_LINEAGE_DEPTH = 64;

/**
 * The branch lineage rule: what a branch-scoped aggregate in `branchId` is made of, root first. Each ancestor
 * contributes its events up to where its child forked from it, capped by every fork below it (a fork of a fork
 * at an early sequence does not see what its parent inherited later), and the branch itself contributes up to
 * `uptoSeq`. `forkOf` answers a branch's fork point, or `undefined` for a branch that does not exist (or is
 * deleted): that is `NOT_FOUND`. `main` has no fork point and ends the walk.
 */
export async function branchLineage(
  branchId: string,
  forkOf: (branchId: string) => ForkPoint | undefined | Promise<ForkPoint | undefined>,
  uptoSeq = Number.MAX_SAFE_INTEGER,
): Promise<LineageSegment[]> {
  const segments: LineageSegment[] = [{ branchId, uptoSeq }];
  let current = branchId;
  let cutoff = uptoSeq;
  for (let depth = 0; current !== MAIN_BRANCH; depth += 1) {
    if (depth >= MAX_LINEAGE_DEPTH)
      throw new AppError(ErrorCode.INVALID_STATE, 'branch lineage too deep', { branchId });
    const fork = await forkOf(current);
    if (!fork) throw new AppError(ErrorCode.NOT_FOUND, `branch ${current} not found`, { branchId: current });
    cutoff = Math.min(cutoff, fork.forkedAtSeq);
    current = fork.parentBranchId;
    segments.unshift({ branchId: current, uptoSeq: cutoff });
  }
  return segments;
}
