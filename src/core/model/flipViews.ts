/**
 * Flip averaging (test-time augmentation): a learned model's water probability averaged over flipped and rotated
 * views of each tile. The model sees each tile as it is and as mirrored (2 views: + left-right; 4: + top-bottom and
 * both; 8: the four again transposed — all eight symmetries of the square), each view's probability is turned back
 * onto the tile's own pixels, and the views are averaged. Water does not care which way up a picture is, so the
 * average keeps what the views agree on and damps what one orientation invents. It costs `views` times the model's
 * time.
 *
 * Measured on the default (`models/unet2/MODEL_CARD.md`, "Session 13"; no held-out scene): validation IoU through
 * `waterline eval` 0.6621 → 0.6657 (2 views) / 0.6661 (4); in PyTorch, the transfer figures on the training scenes'
 * never-trained parts rise with every view count (NAIP 0.738 → 0.745 / 0.748 / 0.751 at 8).
 *
 * The views are handed to the inner segmenter as one batch (`tiles × views`), so a batched model runs them in one
 * call. The inner segmenter belongs to the caller: dispose() does not dispose it.
 */
import type { ModelTile, Segmenter, SegmentationDefect, TileSegmentation } from './segmenter.ts';

/** The view counts that make a group of the square's symmetries (1: no averaging). */
export const FLIP_VIEW_COUNTS = [1, 2, 4, 8] as const;
export type FlipViewCount = (typeof FLIP_VIEW_COUNTS)[number];

export function isFlipViewCount(n: number): n is FlipViewCount {
  return (FLIP_VIEW_COUNTS as readonly number[]).includes(n);
}

/**
 * For view `k` (0..7) of a `size` x `size` square: index[v] = the tile pixel shown at view pixel v.
 * Bit 0 mirrors left-right, bit 1 top-bottom, bit 2 transposes (applied first). Every view is its own inverse map
 * read the other way: view[v] = tile[index[v]] and tile[index[v]] = view[v].
 */
export function viewIndex(size: number, k: number): Uint32Array {
  const index = new Uint32Array(size * size);
  const transpose = (k & 4) !== 0;
  const flipY = (k & 2) !== 0;
  const flipX = (k & 1) !== 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sy = transpose ? x : y;
      let sx = transpose ? y : x;
      if (flipY) sy = size - 1 - sy;
      if (flipX) sx = size - 1 - sx;
      index[y * size + x] = sy * size + sx;
    }
  }
  return index;
}

function gather<T extends Uint8Array | Float32Array>(plane: T, index: Uint32Array, channels: number): T {
  const out = new (plane.constructor as new (n: number) => T)(plane.length);
  for (let v = 0; v < index.length; v++) {
    const s = index[v] * channels;
    for (let c = 0; c < channels; c++) out[v * channels + c] = plane[s + c];
  }
  return out;
}

/** The tile as view `k` shows it (RGB, valid mask and spectral planes moved alike). */
export function viewTile(tile: ModelTile, k: number, index = viewIndex(tile.size, k)): ModelTile {
  if (k === 0) return tile;
  return {
    ...tile,
    rgb: gather(tile.rgb, index, 3),
    valid: gather(tile.valid, index, 1),
    ...(tile.spectral ? { spectral: tile.spectral.map((p) => gather(p, index, 1)) } : {}),
  };
}

/** Add view `k`'s probability, turned back onto the tile's pixels, into `sum`. */
export function addUnviewed(sum: Float32Array, viewProbability: Float32Array, index: Uint32Array): void {
  if (viewProbability.length !== index.length) {
    throw new RangeError(`a view's probability has ${viewProbability.length} values, the tile ${index.length} pixels`);
  }
  for (let v = 0; v < index.length; v++) sum[index[v]] += viewProbability[v];
}

/**
 * `inner` averaged over `views` flipped views of every tile; `views` 1 returns `inner` itself. The result reports
 * the views in its provenance (`flipViews`) and keeps each tile's defects from every view (a view's defect is named
 * by its view number).
 */
export function flipAveragedSegmenter(inner: Segmenter, views: FlipViewCount): Segmenter {
  if (views === 1) return inner;
  if (!isFlipViewCount(views)) throw new RangeError(`flip views must be one of ${FLIP_VIEW_COUNTS.join(', ')}, not ${views}`);
  const indexes = new Map<number, Uint32Array[]>();
  const indexesFor = (size: number): Uint32Array[] => {
    let found = indexes.get(size);
    if (!found) {
      found = Array.from({ length: views }, (_, k) => viewIndex(size, k));
      indexes.set(size, found);
    }
    return found;
  };
  return {
    info: { ...inner.info, provenance: { ...inner.info.provenance, flipViews: views } },
    async segment(tiles, options) {
      const batch: ModelTile[] = [];
      for (let k = 0; k < views; k++) {
        for (const tile of tiles) batch.push(viewTile(tile, k, indexesFor(tile.size)[k]));
      }
      const out = await inner.segment(batch, options);
      if (out.length !== batch.length) {
        throw new RangeError(`${inner.info.name} returned ${out.length} results for ${batch.length} tiles`);
      }
      return tiles.map((tile, t): TileSegmentation => {
        const sum = new Float32Array(tile.size * tile.size);
        const defects: SegmentationDefect[] = [];
        for (let k = 0; k < views; k++) {
          const r = out[k * tiles.length + t];
          addUnviewed(sum, r.probability, indexesFor(tile.size)[k]);
          for (const d of r.defects) defects.push(k === 0 ? d : { ...d, message: `view ${k}: ${d.message}` });
        }
        for (let i = 0; i < sum.length; i++) sum[i] /= views;
        const first = out[t];
        return { tileId: tile.id, probability: sum, defects, ...(first.text !== undefined ? { text: first.text } : {}) };
      });
    },
    async dispose() {},
  };
}
