interface Entry<V> {
  value: V;
  /** Write count when the entry was last (re)inserted: its place in the Map's insertion order. */
  stamp: number;
}

/**
 * A bounded map that forgets the least recently used entry. Map keeps insertion order, so an entry is moved to
 * the end by re-inserting it; doing that on every read made the hot campaign entry churn the hash table (~5% of
 * the command service's CPU in a profile). An entry is therefore refreshed only once it has drifted a quarter
 * of the capacity towards eviction, which still keeps anything read that often from being evicted.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private writes = 0;

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.writes - entry.stamp > this.capacity / 4) this.set(key, entry.value);
    return entry.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.writes += 1;
    this.map.set(key, { value, stamp: this.writes });
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
