/**
 * A bounded least-recently-used cache of decoded TIFF blocks (tiles or strips), shared by all reads of one
 * Scene so that overlapping windows (model tiles with overlap, the stretch sample, neighbouring tiles in
 * row-major order) decode each compressed block once while it is hot.
 *
 * Memory is bounded by construction: every entry is charged its decoded size (known before decoding, from
 * the block dimensions) and the least recently used entries are dropped as soon as the total exceeds
 * `maxBytes`; a block larger than the whole budget is decoded but not kept. Entries are promises, so
 * concurrent reads of the same block share one decode; a failed decode is never kept.
 */

export interface BlockCacheStats {
  hits: number;
  misses: number;
  /** Bytes charged to the entries held now. */
  bytes: number;
  /** Largest `bytes` ever held. Never above `maxBytes`. */
  peakBytes: number;
  entries: number;
}

interface Entry<T> {
  value: Promise<T>;
  size: number;
}

export class BlockCache<T> {
  private max: number;
  private readonly entries = new Map<string, Entry<T>>();
  private held = 0;
  private peak = 0;
  private hitCount = 0;
  private missCount = 0;

  constructor(maxBytes: number) {
    this.max = BlockCache.checked(maxBytes);
  }

  /** Change the budget, dropping least recently used entries to fit. */
  resize(maxBytes: number): void {
    this.max = BlockCache.checked(maxBytes);
    this.evict();
  }

  private static checked(maxBytes: number): number {
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0)) throw new RangeError(`block cache size must be a finite number of bytes >= 0, got ${maxBytes}`);
    return maxBytes;
  }

  /**
   * The value for `key`, loading it with `load` on a miss. `size` is the entry's charge in bytes.
   * `load` may reject: the rejection reaches the caller and nothing is kept.
   */
  get(key: string, size: number, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.hitCount++;
      // Refresh recency: Map iteration order is insertion order, so the first key is the least recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    this.missCount++;
    const value = load();
    if (size > this.max) return value;
    const entry: Entry<T> = { value, size };
    this.entries.set(key, entry);
    this.held += size;
    this.evict();
    if (this.held > this.peak) this.peak = this.held;
    value.catch(() => {
      if (this.entries.get(key) === entry) this.remove(key);
    });
    return value;
  }

  /** The budget in bytes: an entry charged more is decoded but never kept. */
  get maxBytes(): number {
    return this.max;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Drop one entry (e.g. a load that failed for a reason that should not stick). */
  remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.size;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }

  stats(): BlockCacheStats {
    return { hits: this.hitCount, misses: this.missCount, bytes: this.held, peakBytes: this.peak, entries: this.entries.size };
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.held <= this.max) break;
      this.entries.delete(key);
      this.held -= entry.size;
    }
  }
}
