import type { AnyEvent, Command, EntityType, EventData, EventType } from '@cm/contracts';

/** An event as a decider proposes it; the handler shell adds ids, versions and metadata. */
export type EventDraft = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** Whether an aggregate has been created, and whether it has since been deleted. */
export type AggregateStatus = 'absent' | 'active' | 'deleted';

/** Another aggregate a command refers to (checked, not locked). Always in the command's campaign and branch. */
export interface AggregateRef {
  entityType: EntityType;
  entityId: string;
}

export const refKey = (ref: AggregateRef): string => `${ref.entityType}:${ref.entityId}`;

/** Facts the shell loads before deciding, so that `decide` stays a pure function. */
export interface DecideContext<S = unknown> {
  /** Status of every aggregate named by `refsOf(command)`, keyed by `refKey`. */
  refs: Readonly<Record<string, AggregateStatus>>;
  /**
   * The stream's last sequence when the command was handled: where a fork without `atSeq` is taken. Read from
   * the stream only for commands whose traits say `needsHeadSeq`; otherwise the highest sequence folded.
   */
  headSeq: number;
  /** Stream sequence of the campaign's first event (0 while the campaign does not exist). */
  campaignSince: number;
  /**
   * The other live (not deleted) aggregates of the command's own type in its campaign branch, inherited ones
   * included, by id: for decisions about the set, such as a cycle among computed fields. Loaded only for commands
   * whose traits say `needsSiblings`; empty otherwise.
   */
  siblings: ReadonlyMap<string, S>;
}

/** What the generic shell must know about a command before it can load, decide and append. */
export interface CommandTraits {
  /**
   * The command brings its aggregate into being. On a first attempt the shell then skips reading the aggregate
   * (it is almost always new) and appends expecting an empty subject; a wrong guess fails that expectation and
   * the shell reads for real.
   */
  creates?: true;
  /** `decide` reads `ctx.headSeq`, which then costs a stream-info request. */
  needsHeadSeq?: true;
  /**
   * `decide` reads `ctx.siblings`, which costs listing the type's subjects in the branch lineage (with their commit
   * counts, so that a cached fold another instance made stale is read again) and loading each. A check against
   * siblings is a check, not a lock: see the decider for what guards a race between two siblings.
   */
  needsSiblings?: true;
}

/**
 * A pure decider, after Emmett: `decide` turns a command and the folded state into events or throws an
 * `AppError`; `evolve` folds one event into the state. No I/O, no clock, no randomness: all of those arrive on
 * the command or in the context.
 */
export interface Decider<C extends Command, E extends AnyEvent, S> {
  entityType: EntityType;
  initialState: S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S, ctx: DecideContext<S>): EventDraft[];
  /** Other aggregates (same campaign and branch) whose existence `decide` checks. */
  refsOf(command: C): AggregateRef[];
  /** Whether the aggregate is absent, active or deleted, for other aggregates' checks. */
  statusOf(state: S): AggregateStatus;
  /** The traits of each command type this decider takes (its home branch is contracts' `homeBranchOf`). */
  commands: { readonly [T in C['type']]: CommandTraits };
}
