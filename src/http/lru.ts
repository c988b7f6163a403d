/**
 * The server's in-memory caches: a least-recently-used map bounded by the total weight of its values
 * (by default each value weighs 1, so the bound is an entry count). Reading an entry makes it the most
 * recently used; adding one evicts the least recently used until the total fits again, but the newest
 * entry is always kept, even when it alone is heavier than the bound.
 */
export interface LruOptions<K, V> {
  /** Weight of a value (e.g. its size in bytes); default 1. */
  weigh?: (value: V) => number;
  /** Called for each entry pushed out by the bound (not for `delete` or for a value replaced by `set`). */
  onEvict?: (key: K, value: V) => void;
}

export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  private total = 0;

  constructor(private readonly max: number, private readonly options: LruOptions<K, V> = {}) {}

  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  /** The cached value, or `make()`'s (cached unless it throws). */
  getOrSet(key: K, make: () => V): V {
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    const made = make();
    this.set(key, made);
    return made;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.map.set(key, value);
    this.total += this.weigh(value);
    while (this.total > this.max && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value as [K, V];
      this.map.delete(k);
      this.total -= this.weigh(v);
      this.options.onEvict?.(k, v);
    }
  }

  delete(key: K): boolean {
    const old = this.map.get(key);
    if (old === undefined) return false;
    this.map.delete(key);
    this.total -= this.weigh(old);
    return true;
  }

  /** The values, least recently used first. */
  values(): IterableIterator<V> {
    return this.map.values();
  }

  private weigh(value: V): number {
    return this.options.weigh ? this.options.weigh(value) : 1;
  }
}
