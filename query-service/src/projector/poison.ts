/**
 * Poison events, for every projection (DESIGN §8, issue 13): a commit the projection cannot apply is retried a
 * bounded number of times with backoff, then parked with its error, together with every later commit of the same
 * aggregate (so order holds per aggregate), and the projection goes on with the others.
 *
 * The guard knows nothing of where a projection writes: it is handed the projection's `apply`, which must write
 * the commits it is given and record the parked ones (with the checkpoint, atomically). The Postgres projector
 * records them in the read model's `parked_event` table; a projection writing elsewhere (Redis) records them in
 * the same table through `PostgresParkingStore` beside its own write.
 */

/** One commit as a projection receives it: its stream sequence and the aggregate it belongs to. */
export interface GuardedCommit {
  seq: number;
  /** `entityType:entityId@campaignId/branchId` (see `aggregateKey`). */
  aggregate: string;
  eventTypes: string[];
}

/** A commit the projection parks instead of applying. */
export interface ParkedCommit {
  seq: number;
  aggregate: string;
  eventTypes: string[];
  error: string;
  attempts: number;
}

export interface PoisonPolicy {
  /** Attempts of one commit before it is parked (PROJECTOR_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Wait before the second attempt; doubled for each further one (PROJECTOR_RETRY_BACKOFF_MS). */
  backoffMs: number;
}

/** The aggregate key parked commits are grouped by. */
export function aggregateKey(e: {
  entityType: string;
  entityId: string;
  campaignId: string;
  branchId: string;
}): string {
  return `${e.entityType}:${e.entityId}@${e.campaignId}/${e.branchId}`;
}

const TRANSIENT_SQLSTATE_CLASSES = ['08', '40', '53', '55', '57', '58'];
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * Whether a failure says nothing about the event: the database unreachable, overloaded, a deadlock, a statement
 * or batch timeout, a lost lease. These are retried as before (forever, the whole batch), never parked: parking a
 * good event because Postgres restarted would need an operator to undo.
 */
export function isTransient(e: unknown): boolean {
  const err = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  if (err.name === 'CheckpointMovedError') return true;
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && /^[0-9A-Z]{5}$/.test(code) && TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return true;
  if (code && TRANSIENT_NODE_CODES.has(code)) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  if (
    /no answer from Postgres|Connection terminated|connection timeout|timeout exceeded when trying to connect|statement timeout/i.test(
      message,
    )
  )
    return true;
  return err.cause !== undefined && err.cause !== e && isTransient(err.cause);
}

export interface PoisonGuardDeps<C extends GuardedCommit> {
  policy: PoisonPolicy;
  /** Writes `commits` and records `parked`, atomically with the checkpoint (which moves past both). */
  apply(commits: C[], parked: ParkedCommit[]): Promise<void>;
  /** Aggregates held back now (those with a commit still parked), read when the projection starts. */
  held: Iterable<string>;
  sleep?: (ms: number) => Promise<void>;
  onRetry?: (commit: C, attempt: number, error: unknown) => void;
  onParked?: (parked: ParkedCommit) => void;
}

/** What the guard did with one batch. */
export interface GuardOutcome {
  applied: number;
  parked: ParkedCommit[];
}

/**
 * Applies batches through the poison policy. The common batch is one `apply` call; only when it fails for a
 * reason that is not transient does the guard fall back to one commit at a time to find the poison.
 */
export class PoisonGuard<C extends GuardedCommit> {
  private readonly heldAggregates: Set<string>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: PoisonGuardDeps<C>) {
    this.heldAggregates = new Set(deps.held);
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Aggregates whose commits are parked rather than applied. */
  held(): ReadonlySet<string> {
    return this.heldAggregates;
  }

  /** After a retry or skip changed what is parked. */
  setHeld(aggregates: Iterable<string>): void {
    this.heldAggregates.clear();
    for (const a of aggregates) this.heldAggregates.add(a);
  }

  async apply(commits: C[]): Promise<GuardOutcome> {
    const { ready, behind } = this.split(commits, []);
    try {
      await this.deps.apply(ready, behind);
      this.noteParked(behind);
      return { applied: ready.length, parked: behind };
    } catch (e) {
      if (isTransient(e)) throw e;
    }
    // Something in the batch is poison: one commit at a time, in order, to find it and apply the rest.
    const parked: ParkedCommit[] = [];
    let applied = 0;
    for (const commit of commits) {
      if (this.heldAggregates.has(commit.aggregate)) {
        const p = heldBehind(commit);
        await this.deps.apply([], [p]);
        this.noteParked([p]);
        parked.push(p);
        continue;
      }
      const failure = await this.attempt(commit);
      if (failure === undefined) {
        applied += 1;
        continue;
      }
      await this.deps.apply([], [failure]);
      this.noteParked([failure]);
      parked.push(failure);
    }
    return { applied, parked };
  }

  /** Applies one commit, retrying with backoff; resolves to its parking record once the attempts are spent. */
  private async attempt(commit: C): Promise<ParkedCommit | undefined> {
    const { maxAttempts, backoffMs } = this.deps.policy;
    let last: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      try {
        await this.deps.apply([commit], []);
        return undefined;
      } catch (e) {
        if (isTransient(e)) throw e;
        last = e;
        this.deps.onRetry?.(commit, attempt, e);
        if (attempt < maxAttempts) await this.sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
    return {
      seq: commit.seq,
      aggregate: commit.aggregate,
      eventTypes: commit.eventTypes,
      error: describe(last),
      attempts: maxAttempts,
    };
  }

  private split(commits: C[], into: ParkedCommit[]): { ready: C[]; behind: ParkedCommit[] } {
    const ready: C[] = [];
    for (const c of commits) {
      if (this.heldAggregates.has(c.aggregate)) into.push(heldBehind(c));
      else ready.push(c);
    }
    return { ready, behind: into };
  }

  private noteParked(parked: ParkedCommit[]): void {
    for (const p of parked) {
      this.heldAggregates.add(p.aggregate);
      this.deps.onParked?.(p);
    }
  }
}

function heldBehind(c: GuardedCommit): ParkedCommit {
  return {
    seq: c.seq,
    aggregate: c.aggregate,
    eventTypes: c.eventTypes,
    error: 'held behind an earlier parked commit of this aggregate',
    attempts: 0,
  };
}

function describe(e: unknown): string {
  const err = e as { message?: unknown; code?: unknown } | null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  return typeof err?.code === 'string' ? `${err.code}: ${message}` : message;
}
