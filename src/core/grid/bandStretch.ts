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

interface StretchTable {
  low: number;
  high: number;
  /** First integer sample value the table covers; below it the stretch gives 0, above its end 255. */
  first: number;
  values: Uint8Array;
}

/** Tables per [low, high] entry of a BandStretch (the same entry serves every tile of a scene). */
const tables = new WeakMap<[number, number], StretchTable>();
const MAX_TABLE = 65537;

/** stretchValue for every integer in [floor(low), ceil(high)], memoised per stretch entry; null when too wide. */
function stretchTable(range: [number, number]): StretchTable | null {
  const [low, high] = range;
  const known = tables.get(range);
  if (known && known.low === low && known.high === high) return known;
  const first = Math.floor(low);
  const size = Math.ceil(high) - first + 1;
  if (!(high > low) || !(size <= MAX_TABLE)) return null;
  const values = new Uint8Array(size);
  for (let i = 0; i < size; i++) values[i] = stretchValue(first + i, low, high);
  const table = { low, high, first, values };
  tables.set(range, table);
  return table;
}

function isIntegerArray(a: SampleArray): boolean {
  return a instanceof Uint8Array || a instanceof Uint16Array || a instanceof Int16Array || a instanceof Int8Array;
}

/** stretchValue of every valid sample into `out` (0 where invalid); 8/16-bit bands through a lookup table. */
function stretchPlane(band: SampleArray, valid: Uint8Array, range: [number, number], out: Uint8Array): void {
  const n = out.length;
  const table = isIntegerArray(band) ? stretchTable(range) : null;
  if (table) {
    // Integer samples below the table are below low (0), above it above high (255).
    const { first, values } = table;
    const last = values.length - 1;
    for (let i = 0; i < n; i++) {
      if (!valid[i]) {
        out[i] = 0;
        continue;
      }
      const k = band[i] - first;
      out[i] = k < 0 ? 0 : k > last ? 255 : values[k];
    }
    return;
  }
  const [low, high] = range;
  const span = high - low;
  for (let i = 0; i < n; i++) {
    if (!valid[i]) {
      out[i] = 0;
      continue;
    }
    const t = ((band[i] - low) * 255) / span;
    out[i] = t <= 0 ? 0 : t >= 255 ? 255 : Math.round(t);
  }
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
  // Stretch each band into a byte plane (same arithmetic as stretchValue), then interleave it into RGB;
  // one band (grey) fills all three channels.
  const plane = new Uint8Array(width * height);
  const grey = raster.bands.length === 1;
  for (let c = 0; c < raster.bands.length; c++) {
    stretchPlane(raster.bands[c], src, stretch[c], plane);
    for (let y = 0; y < height; y++) {
      const s0 = y * width;
      let d = ((y + offsetY) * tileSize + offsetX) * 3 + c;
      if (grey) {
        for (let x = 0; x < width; x++, d += 3) {
          const v = plane[s0 + x];
          rgb[d] = v;
          rgb[d + 1] = v;
          rgb[d + 2] = v;
        }
      } else {
        for (let x = 0; x < width; x++, d += 3) rgb[d] = plane[s0 + x];
      }
    }
  }
  return { id, size: tileSize, rgb, valid };
}
