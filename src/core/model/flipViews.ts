/**
 * Flip averaging (test-time augmentation): a learned model's water probability averaged over mirrored views of each
 * tile. The model sees each tile as it is and mirrored (2 views: + left-right; 4: + top-bottom and both), each
 * view's probability is turned back onto the tile's own pixels, and the views are averaged. Water does not care
 * which way round a picture is, so the average keeps what the views agree on and damps what one orientation
 * invents. It costs `views` times the model's time. Only the tile's valid part is mirrored (`validBox`): the
 * padding of an edge tile stays at its right and bottom, where the models learnt it.
 *
 * Measured on the default (`models/unet2/MODEL_CARD.md`, "Session 13"; no held-out scene): validation IoU through
 * `waterline eval` 0.6621 → 0.6657 (2 views) / 0.6661 (4); the training renderings' edge tiles (`edge_probe.py`'s
 * zero-padded tiles, mean over renderings) 0.401 → 0.408 / 0.410.
 *
 * The views are handed to the inner segmenter as one batch (`tiles × views`), so a batched model runs them in one
 * call. The inner segmenter belongs to the caller: dispose() does not dispose it.
 */
import type { ModelTile, Segmenter, SegmentationDefect, TileSegmentation } from './segmenter.ts';

/** The view counts that make a group of the rectangle's mirror images (1: no averaging). */
export const FLIP_VIEW_COUNTS = [1, 2, 4] as const;
export type FlipViewCount = (typeof FLIP_VIEW_COUNTS)[number];

export function isFlipViewCount(n: number): n is FlipViewCount {
  return (FLIP_VIEW_COUNTS as readonly number[]).includes(n);
}

/** Rows y0..y1-1 and columns x0..x1-1 of a tile. */
export interface TileBox {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/**
 * The smallest box holding a tile's valid pixels (the whole tile when none is valid). An edge tile's scene part
 * sits at its top left with padding to the right and below — the only way the models ever saw padding — so views
 * mirror the part inside this box and leave the padding where it is (mirroring the whole edge tile put the padding
 * at the top or left, and the default lost 0.016 IoU on the training renderings' edge tiles: session 13).
 */
export function validBox(valid: Uint8Array, size: number): TileBox {
  let y0 = size;
  let y1 = 0;
  let x0 = size;
  let x1 = 0;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) {
      if (!valid[row + x]) continue;
      if (y < y0) y0 = y;
      if (y >= y1) y1 = y + 1;
      if (x < x0) x0 = x;
      if (x >= x1) x1 = x + 1;
    }
  }
  return y1 > y0 ? { y0, y1, x0, x1 } : { y0: 0, y1: size, x0: 0, x1: size };
}

/**
 * For view `k` (0..3) of a `size` x `size` tile: index[v] = the tile pixel shown at view pixel v. Bit 0 mirrors
 * left-right, bit 1 top-bottom, both inside `box` (default the whole tile); pixels outside it stay. Every view is
 * its own inverse: view[v] = tile[index[v]] and tile[index[v]] = view[v].
 */
export function viewIndex(size: number, k: number, box: TileBox = { y0: 0, y1: size, x0: 0, x1: size }): Uint32Array {
  const index = new Uint32Array(size * size);
  const flipY = (k & 2) !== 0;
  const flipX = (k & 1) !== 0;
  for (let y = 0; y < size; y++) {
    const inRows = y >= box.y0 && y < box.y1;
    for (let x = 0; x < size; x++) {
      const inBox = inRows && x >= box.x0 && x < box.x1;
      const sy = inBox && flipY ? box.y0 + box.y1 - 1 - y : y;
      const sx = inBox && flipX ? box.x0 + box.x1 - 1 - x : x;
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
export function viewTile(tile: ModelTile, k: number, index = viewIndex(tile.size, k, validBox(tile.valid, tile.size))): ModelTile {
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
 * `inner` averaged over `views` mirrored views of every tile; `views` 1 returns `inner` itself. The result reports
 * the views in its provenance (`flipViews`) and keeps each tile's defects from every view (a view's defect is named
 * by its view number).
 */
export function flipAveragedSegmenter(inner: Segmenter, views: FlipViewCount): Segmenter {
  if (views === 1) return inner;
  if (!isFlipViewCount(views)) throw new RangeError(`flip views must be one of ${FLIP_VIEW_COUNTS.join(', ')}, not ${views}`);
  const whole = new Map<number, Uint32Array[]>();
  /** The views' index maps of a tile: mirrored inside its valid box (cached for whole tiles, most of a scene). */
  const indexesFor = (tile: ModelTile): Uint32Array[] => {
    const { size } = tile;
    const box = validBox(tile.valid, size);
    const isWhole = box.y0 === 0 && box.x0 === 0 && box.y1 === size && box.x1 === size;
    let found = isWhole ? whole.get(size) : undefined;
    if (!found) {
      found = Array.from({ length: views }, (_, k) => viewIndex(size, k, box));
      if (isWhole) whole.set(size, found);
    }
    return found;
  };
  return {
    info: { ...inner.info, provenance: { ...inner.info.provenance, flipViews: views } },
    async segment(tiles, options) {
      const maps = tiles.map(indexesFor);
      const batch: ModelTile[] = [];
      for (let k = 0; k < views; k++) {
        tiles.forEach((tile, t) => batch.push(viewTile(tile, k, maps[t][k])));
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
          addUnviewed(sum, r.probability, maps[t][k]);
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
