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

/** Integer sample types small enough for a lookup table over every value: [array type, values offset, table size]. */
function denseRange(values: SampleArray): [number, number] | null {
  if (values instanceof Uint8Array) return [0, 256];
  if (values instanceof Int8Array) return [128, 256];
  if (values instanceof Uint16Array) return [0, 65536];
  if (values instanceof Int16Array) return [32768, 65536];
  return null;
}

/**
 * stretchValue of every value of an 8/16-bit integer type (index = value + offset), memoised per stretch
 * entry and type (the same entry serves every tile of a scene).
 */
const tables = new WeakMap<[number, number], Map<number, { low: number; high: number; values: Uint8Array }>>();

function denseTable(range: [number, number], offset: number, size: number): Uint8Array | null {
  const [low, high] = range;
  if (!(high > low)) return null;
  let byType = tables.get(range);
  const known = byType?.get(size + offset);
  if (known && known.low === low && known.high === high) return known.values;
  const values = new Uint8Array(size);
  for (let i = 0; i < size; i++) values[i] = stretchValue(i - offset, low, high);
  if (!byType) tables.set(range, (byType = new Map()));
  byType.set(size + offset, { low, high, values });
  return values;
}

/**
 * The stretch of 8-bit bands as lookup tables over 0..255 (stretchValue of each value, the tables
 * modelTileFromWindow maps Byte bands with), or null when an entry cannot make one (high <= low).
 */
export function byteStretchTables(stretch: BandStretch): Uint8Array[] | null {
  const tablesOf = stretch.map((r) => denseTable(r, 0, 256));
  return tablesOf.every((t) => t !== null) ? (tablesOf as Uint8Array[]) : null;
}

/** stretchValue of every valid sample into `out` (0 where invalid), for sample types without a table. */
function stretchPlane(band: SampleArray, valid: Uint8Array, range: [number, number], out: Uint8Array): void {
  const n = out.length;
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

/** Valid pixels of three table-mapped bands straight into the RGB tile (rgb and valid start zeroed). */
function fillRgbFromTables(
  b0: SampleArray, b1: SampleArray, b2: SampleArray, t0: Uint8Array, t1: Uint8Array, t2: Uint8Array, offset: number,
  src: Uint8Array, width: number, height: number, tileSize: number, offsetX: number, offsetY: number, rgb: Uint8Array, valid: Uint8Array,
): void {
  for (let y = 0; y < height; y++) {
    let s = y * width;
    const end = s + width;
    let v = (y + offsetY) * tileSize + offsetX;
    for (let d = v * 3; s < end; s++, v++, d += 3) {
      if (src[s] === 0) continue;
      valid[v] = 1;
      rgb[d] = t0[b0[s] + offset];
      rgb[d + 1] = t1[b1[s] + offset];
      rgb[d + 2] = t2[b2[s] + offset];
    }
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
  // 8/16-bit bands of one type: every channel through its lookup table in one pass (invalid pixels stay 0).
  const range = denseRange(raster.bands[0]);
  const sameType = raster.bands.every((b) => b.constructor === raster.bands[0].constructor);
  const tablesOf = range && sameType ? stretch.map((r) => denseTable(r, range[0], range[1])) : null;
  if (range && tablesOf && tablesOf.every((t) => t !== null)) {
    const [t0, t1, t2] = raster.bands.length === 1 ? [tablesOf[0], tablesOf[0], tablesOf[0]] : tablesOf;
    const [b0, b1, b2] = raster.bands.length === 1 ? [raster.bands[0], raster.bands[0], raster.bands[0]] : raster.bands;
    fillRgbFromTables(b0, b1, b2, t0 as Uint8Array, t1 as Uint8Array, t2 as Uint8Array, range[0], src, width, height, tileSize, offsetX, offsetY, rgb, valid);
    return { id, size: tileSize, rgb, valid };
  }
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
