/**
 * Caches for the tile routes: a byte-bounded LRU of encoded tiles (so a hot tile is served without
 * re-reading the scene), and strong ETags derived from the tile bytes.
 */
import { createHash } from 'node:crypto';

export interface CachedTile {
  /** Encoded tile, or null for "no data here" (served as 204). */
  body: Buffer | null;
  etag: string;
}

/** Strong ETag of some bytes (or of a marker string for empty tiles). */
export function strongEtag(data: Buffer | Uint8Array | string): string {
  return `"${createHash('sha1').update(data).digest('base64url')}"`;
}

/** Least-recently-used map bounded by the total byte size of its values. */
export class TileLru {
  private readonly map = new Map<string, CachedTile>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string): CachedTile | undefined {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: CachedTile): void {
    const old = this.map.get(key);
    if (old) {
      this.bytes -= this.sizeOf(old);
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += this.sizeOf(value);
    while (this.bytes > this.maxBytes && this.map.size > 1) {
      const [k, v] = this.map.entries().next().value as [string, CachedTile];
      this.map.delete(k);
      this.bytes -= this.sizeOf(v);
    }
  }

  private sizeOf(v: CachedTile): number {
    return (v.body?.length ?? 0) + v.etag.length + 64;
  }
}
