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

/** The p-th percentile (0..100) of the valid samples (nearest rank); null when none are valid. */
export function percentile(values: SampleArray, valid: Uint8Array, ps: number[]): (number | null)[] {
  const picked: number[] = [];
  for (let i = 0; i < values.length; i++) if (valid[i] && Number.isFinite(values[i])) picked.push(values[i]);
  if (picked.length === 0) return ps.map(() => null);
  const sorted = Float64Array.from(picked).sort();
  return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))]);
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
  const channels = raster.bands.length === 1 ? [raster.bands[0], raster.bands[0], raster.bands[0]] : raster.bands;
  const ranges = raster.bands.length === 1 ? [stretch[0], stretch[0], stretch[0]] : stretch;
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      const src = y * raster.width + x;
      if (!raster.valid[src]) continue;
      const dst = (y + offsetY) * tileSize + (x + offsetX);
      valid[dst] = 1;
      for (let c = 0; c < 3; c++) rgb[dst * 3 + c] = stretchValue(channels[c][src], ranges[c][0], ranges[c][1]);
    }
  }
  return { id, size: tileSize, rgb, valid };
}
