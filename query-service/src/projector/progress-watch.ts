/**
 * Whether a projection's apply loop is healthy: idle at the head of its stream, or making progress. The lease
 * renewal and `/ready` read it, so that an instance that cannot write (its database hung, its statements failing)
 * stops holding the lease and says why, while a standby with a working connection takes over. Every projection
 * runner reports into one of these the same way; it knows nothing of Postgres or NATS.
 *
 * The loop calls `waiting()` before it waits for new events with nothing in hand, `working()` when it has events
 * to apply (or work to retry), and `progressed()` after each batch it committed. A failed batch is not progress.
 */
export class ProgressWatch {
  private idle = true;
  /** While working: when the loop last committed a batch or started working; `no progress` is measured from here. */
  private lastProgress = Date.now();

  /**
   * @param stallMs how long the loop may work without committing a batch before it counts as stalled. It must
   * exceed the longest healthy batch; a longer one only costs the lease (the next holder resumes at the
   * checkpoint, and the fenced checkpoint refuses whatever the slow one commits after).
   */
  constructor(readonly stallMs: number) {}

  waiting(): void {
    this.idle = true;
  }

  working(): void {
    if (!this.idle) return;
    this.idle = false;
    this.lastProgress = Date.now();
  }

  progressed(): void {
    this.lastProgress = Date.now();
  }

  /** Milliseconds working without a committed batch (0 while idle). */
  noProgressForMs(now = Date.now()): number {
    return this.idle ? 0 : now - this.lastProgress;
  }

  /** Why the loop counts as stalled (`no progress for 12 s`), or undefined while it is healthy. */
  stalled(now = Date.now()): string | undefined {
    const ms = this.noProgressForMs(now);
    return ms >= this.stallMs ? `no progress for ${Math.floor(ms / 1000)} s` : undefined;
  }
}
