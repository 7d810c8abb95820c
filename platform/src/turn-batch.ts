/**
 * Defers operations to the end of the current event-loop turn (`setImmediate`) and starts them together. The
 * NATS client writes its outbound buffer in a microtask, so requests started from separate macrotasks (one per
 * incoming HTTP request or NATS message) each cost a socket write; started together they leave in one. At 64
 * requests in flight that was ~13% of the query service's CPU. The delay is the rest of the turn.
 */
export class TurnBatcher {
  private queued: (() => void)[] = [];

  run<T>(op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push(() => {
        try {
          op().then(resolve, reject);
        } catch (e) {
          reject(e); // e.g. a closed connection throws at once
        }
      });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queued;
    this.queued = [];
    for (const start of batch) start();
  }
}
