/** Open connections per user and per process; a connection past either limit is refused with `RATE_LIMITED`. */
export class ConnectionLimits {
  private readonly perUser = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerProcess: number,
    private readonly maxPerUser: number,
  ) {}

  /** Takes a slot for `userId`; returns why not when a limit is reached. */
  acquire(userId: string): 'ok' | 'process' | 'user' {
    if (this.total >= this.maxPerProcess) return 'process';
    const n = this.perUser.get(userId) ?? 0;
    if (n >= this.maxPerUser) return 'user';
    this.perUser.set(userId, n + 1);
    this.total += 1;
    return 'ok';
  }

  release(userId: string): void {
    const n = this.perUser.get(userId) ?? 0;
    if (n <= 1) this.perUser.delete(userId);
    else this.perUser.set(userId, n - 1);
    this.total = Math.max(0, this.total - 1);
  }

  get open(): number {
    return this.total;
  }
}
