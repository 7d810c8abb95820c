/**
 * What a subscriber's connection has not yet taken, bounded in bytes and in messages. Past either bound the
 * subscriber is cut off (it resumes by sequence) instead of the gateway growing without limit.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxMessages: number,
  ) {}

  /** Adds an item; false when that takes the queue past a bound (the item is not kept). */
  push(item: T, size: number): boolean {
    if (this.items.length + 1 > this.maxMessages || this.bytes + size > this.maxBytes) return false;
    this.items.push(item);
    this.bytes += size;
    return true;
  }

  /** Removes and returns everything queued, oldest first. */
  takeAll(): T[] {
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    return items;
  }

  get length(): number {
    return this.items.length;
  }

  get byteLength(): number {
    return this.bytes;
  }
}
