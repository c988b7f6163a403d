/**
 * One scene-wide contrast stretch per band (percentiles of valid pixels), and turning a raster window into
 * a model tile with it. Never per-tile min-max: every tile of a scene is mapped with the same [low, high].
 */
import type { ModelTile } from '../model/segmenter.ts';
import type { RasterWindow, SampleArray } from '../rasterWindow.ts';
import type { SampleType } from '../scene.ts';

/** Per band [low, high]: low maps to 0, high to 255. */
export type BandStretch = [number, number][];

export const DEFAULT_PERCENTILES: [number, number] = [2, 98];

/** Integer sample arrays small enough to rank with a histogram: [values offset, number of bins]. */
function histogramRange(values: SampleArray): [number, number] | null {
  if (values instanceof Uint8Array) return [0, 256];
  if (values instanceof Int8Array) return [128, 256];
  if (values instanceof Uint16Array) return [0, 65536];
  if (values instanceof Int16Array) return [32768, 65536];
  return null;
}

/** The p-th percentile (0..100) of the valid samples (nearest rank); null when none are valid. */
export function percentile(values: SampleArray, valid: Uint8Array, ps: number[]): (number | null)[] {
  const ranks = (count: number) => ps.map((p) => Math.min(count - 1, Math.max(0, Math.round((p / 100) * (count - 1)))));
  const range = histogramRange(values);
  if (range && values.length >= range[1] / 4) {
    // Counting sort: exact nearest-rank percentiles in O(n) for 8/16-bit integers.
    const [offset, bins] = range;
    const counts = new Uint32Array(bins);
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      if (valid[i]) {
        counts[values[i] + offset]++;
        count++;
      }
    }
    if (count === 0) return ps.map(() => null);
    return ranks(count).map((rank) => {
      let seen = 0;
      for (let b = 0; b < bins; b++) {
        seen += counts[b];
        if (seen > rank) return b - offset;
      }
      return bins - 1 - offset;
    });
  }
  const picked = new Float64Array(values.length);
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (valid[i] && Number.isFinite(v)) picked[count++] = v;
  }
  if (count === 0) return ps.map(() => null);
  const sorted = picked.subarray(0, count).sort();
  return ranks(count).map((rank) => sorted[rank]);
}

/**
 * The stretch for one band from a sample of it. 8-bit bands whose percentile range already spans most
 * of 0..255 pass through unchanged ([0, 255]).
 */
export function bandStretchFromSample(
  values: SampleArray,
  valid: Uint8Array,
  type: SampleType,
  percentiles: [number, number] = DEFAULT_PERCENTILES,
): [number, number] {
  const [lo, hi] = percentile(values, valid, percentiles);
  if (type === 'Byte' && (lo === null || hi === null || hi - lo >= 200)) return [0, 255];
  if (lo === null || hi === null) return type === 'Byte' ? [0, 255] : [0, 1];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** Map a sample to 0..255 with [low, high]. */
export function stretchValue(v: number, low: number, high: number): number {
  const t = ((v - low) * 255) / (high - low);
  return t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
}

/**
 * Build a tileSize² model tile from a window read of a scene: band k of `raster` becomes channel k (one
 * band → grey replicated to RGB), placed at (offsetX, offsetY) inside the tile; everything else is padding
 * (black, invalid). `raster.bands` must be in the chosen band order and `stretch` has one entry per band.
 */
export function modelTileFromWindow(
  id: string,
  raster: RasterWindow,
  stretch: BandStretch,
  tileSize: number,
  offsetX = 0,
  offsetY = 0,
): ModelTile {
  if (raster.bands.length !== 1 && raster.bands.length !== 3) throw new RangeError(`a model tile needs 1 or 3 bands, got ${raster.bands.length}`);
  if (stretch.length !== raster.bands.length) throw new RangeError('one stretch entry per band is required');
  if (offsetX < 0 || offsetY < 0 || offsetX + raster.width > tileSize || offsetY + raster.height > tileSize) {
    throw new RangeError(`window ${raster.width}x${raster.height} at (${offsetX},${offsetY}) does not fit a ${tileSize} px tile`);
  }
  const rgb = new Uint8Array(tileSize * tileSize * 3);
  const valid = new Uint8Array(tileSize * tileSize);
  const { width, height } = raster;
  const src = raster.valid;
  for (let y = 0; y < height; y++) {
    const s0 = y * width;
    const d0 = (y + offsetY) * tileSize + offsetX;
    for (let x = 0; x < width; x++) if (src[s0 + x]) valid[d0 + x] = 1;
  }
  const channels = raster.bands.length === 1 ? [0] : [0, 1, 2];
  for (const c of channels) {
    const band = raster.bands[c];
    const [low, high] = stretch[c];
    const span = high - low;
    // Same arithmetic as stretchValue, per sample; 8-bit bands go through a 256-entry table of it.
    let table: Uint8Array | null = null;
    if (band instanceof Uint8Array) {
      table = new Uint8Array(256);
      for (let v = 0; v < 256; v++) table[v] = stretchValue(v, low, high);
    }
    // One band (grey) fills all three channels.
    const first = raster.bands.length === 1 ? 0 : c;
    const last = raster.bands.length === 1 ? 2 : c;
    for (let y = 0; y < height; y++) {
      const s0 = y * width;
      const d0 = (y + offsetY) * tileSize + offsetX;
      for (let x = 0; x < width; x++) {
        if (!src[s0 + x]) continue;
        let out: number;
        if (table) {
          out = table[band[s0 + x]];
        } else {
          const t = ((band[s0 + x] - low) * 255) / span;
          out = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
        }
        const d = (d0 + x) * 3;
        for (let k = first; k <= last; k++) rgb[d + k] = out;
      }
    }
  }
  return { id, size: tileSize, rgb, valid };
}
