// A small least-recently-used map: reading an entry makes it the newest; adding past
// the capacity drops the oldest.

export class Lru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`LRU capacity must be at least 1, got ${capacity}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    // Map keeps insertion order: re-inserting moves the key to the newest end.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
    }
  }

  /** Entries from newest to oldest, without touching their recency. */
  *newestFirst(): IterableIterator<[K, V]> {
    const entries = [...this.map.entries()];
    for (let i = entries.length - 1; i >= 0; i--) yield entries[i]!;
  }

  clear(): void {
    this.map.clear();
  }
}
