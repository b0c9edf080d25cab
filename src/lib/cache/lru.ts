/** What the LRU needs to know of a value: its approximate size. */
export interface Sized {
  bytes: number;
}

export interface LruStats {
  entries: number;
  bytes: number;
  maxEntries: number;
  maxBytes: number;
  evictions: number;
}

/**
 * A least-recently-used map bounded by entry count and by approximate bytes. A Map iterates in
 * insertion order, so re-inserting on every read keeps the least recently used entry first.
 */
export class Lru<V extends Sized> {
  private readonly entries = new Map<string, V>();
  private totalBytes = 0;
  private evicted = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  /** The value, now the most recently used. */
  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Stores the value, evicting the least recently used entries until both bounds hold. Returns false for a value larger than the whole store. */
  set(key: string, value: V): boolean {
    this.delete(key);
    if (value.bytes > this.maxBytes) return false;
    this.entries.set(key, value);
    this.totalBytes += value.bytes;
    while (this.entries.size > this.maxEntries || this.totalBytes > this.maxBytes) {
      const oldest = this.entries.keys().next().value!;
      this.delete(oldest);
      this.evicted += 1;
    }
    return true;
  }

  delete(key: string): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.totalBytes -= value.bytes;
  }

  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (predicate(value)) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  stats(): LruStats {
    return {
      entries: this.entries.size,
      bytes: this.totalBytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
      evictions: this.evicted,
    };
  }
}
