/**
 * Histograms for the run report: polygon sizes on a logarithmic scale (areas span from one pixel to a
 * whole lake, six decades and more) and the blended water probability of every valid pixel.
 */
import { PROBABILITY_NODATA, PROBABILITY_SCALE } from '../masks/probabilityCodec.ts';

export interface Histogram {
  /** Bin edges, ascending; bin i holds values in [edges[i], edges[i+1]) (the last bin also holds its upper edge). */
  edges: number[];
  counts: number[];
}

/**
 * Positive values into bins `binsPerDecade` per power of ten, from the decade of the smallest value to the
 * one above the largest. Non-positive and non-finite values are ignored. No values: no bins.
 */
export function logHistogram(values: readonly number[], binsPerDecade = 2): Histogram {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return { edges: [], counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (const v of positive) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.floor(Math.log10(max)) + 1);
  const n = (hi - lo) * binsPerDecade;
  const edges = Array.from({ length: n + 1 }, (_, i) => 10 ** (lo + i / binsPerDecade));
  const counts = new Array<number>(n).fill(0);
  for (const v of positive) {
    let i = Math.floor((Math.log10(v) - lo) * binsPerDecade + 1e-9);
    // guard the floating point at the edges
    while (i > 0 && v < edges[i]) i--;
    while (i < n - 1 && v >= edges[i + 1]) i++;
    counts[Math.min(n - 1, Math.max(0, i))]++;
  }
  return { edges, counts };
}

/**
 * The blended probability (one byte per pixel: 0..254 = p·254, 255 = no data) in `bins` equal bins over
 * [0, 1]. A pixel with p exactly on an inner edge goes to the upper bin; p = 1 to the last.
 */
export function probabilityHistogram(probability: Uint8Array, bins = 20): Histogram {
  return probabilityCodeHistogram(countProbabilityCodes(probability), bins);
}

/** Pixels per probability code (256 counts), added to `into` when given: count a raster a band of rows at a time. */
export function countProbabilityCodes(probability: Uint8Array, into: Float64Array = new Float64Array(256)): Float64Array {
  for (let i = 0; i < probability.length; i++) into[probability[i]]++;
  return into;
}

/** probabilityHistogram from counts per code (countProbabilityCodes). */
export function probabilityCodeHistogram(byCode: Float64Array, bins = 20): Histogram {
  const counts = new Array<number>(bins).fill(0);
  for (let code = 0; code <= PROBABILITY_SCALE; code++) {
    if (code === PROBABILITY_NODATA || !byCode[code]) continue;
    counts[Math.min(bins - 1, Math.floor(((code / PROBABILITY_SCALE) * bins) + 1e-9))] += byCode[code];
  }
  return { edges: Array.from({ length: bins + 1 }, (_, i) => i / bins), counts };
}
