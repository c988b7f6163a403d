/**
 * Caches for the tile routes: a byte-bounded LRU of encoded tiles (so a hot tile is served without
 * re-reading the scene), and strong ETags derived from the tile bytes.
 */
import { createHash } from 'node:crypto';
import { Lru } from '../lru.ts';

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
export class TileLru extends Lru<string, CachedTile> {
  constructor(maxBytes = 64 * 1024 * 1024) {
    super(maxBytes, { weigh: (v) => (v.body?.length ?? 0) + v.etag.length + 64 });
  }
}
