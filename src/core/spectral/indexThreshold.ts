/**
 * The scene-wide water/dry threshold of a water index, from a scene-wide sample of it.
 *
 * 1. A 256-bin histogram of the sample between its 0.5th and 99.5th percentiles.
 * 2. **Valley-emphasis Otsu** (Ng 2006): the threshold t maximising (1 − h(t)) · σ²_between(t), where h is the
 *    (3-bin smoothed) histogram mass at t. Plain Otsu maximises σ²_between alone and drifts into the smaller class
 *    when water is a small part of the scene; the valley weight pulls t to the low point between the two modes.
 * 3. **Unimodal guard**: the scene is split in two only when the histogram really has two modes — the smoothed
 *    histogram's lowest point between the highest bin on each side of t is below `MAX_VALLEY_RATIO` of the lower
 *    of those two peaks, the smaller side holds at least `MIN_CLASS_FRACTION` of the sample, and the two sides'
 *    means are at least the index's `minSeparation` apart (water and land differ by much more than two shades of
 *    sea; this also holds on 8-bit DN scenes, whose index histogram is spiky with gaps between DN levels). Otherwise the
 *    scene is taken to be one class (all sea, or dry land) and the index's physical threshold decides (0 for the
 *    normalised differences), so an all-sea or a desert scene is not split in two. Darkness indices have no
 *    physical threshold: their split is kept but flagged `unimodal` (fusion then leans on the learned model).
 * 4. **Softness**: the probability is sigmoid((v − t) / s) with s = (mean above t − mean below t) / 8, so a pixel
 *    at either class mean gets p ≈ 0.02 / 0.98 and pixels near t are uncertain; fusion uses that uncertainty.
 */
import type { WaterIndex } from './waterIndex.ts';

export type ThresholdMethod = 'valley-otsu' | 'otsu' | 'physical' | 'median';

export interface IndexThreshold {
  threshold: number;
  /** How `threshold` was chosen: `valley-otsu`/`otsu` (two modes), `physical` (one mode, physical boundary), `median` (too few pixels). */
  method: ThresholdMethod;
  /** True when the histogram has one mode (the guard fired). */
  unimodal: boolean;
  /** Smoothed histogram minimum between the two peaks / the lower peak (0 = empty valley, 1 = no valley). */
  valleyRatio: number;
  /** Fraction of the sample at or above the threshold (water). */
  waterFraction: number;
  /** Scale of the soft probability: p = sigmoid((v − threshold) / softness). */
  softness: number;
  /** Sample size (finite index values). */
  sampleSize: number;
}

export const MAX_VALLEY_RATIO = 0.7;
export const MIN_CLASS_FRACTION = 0.002;
const BINS = 256;

function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/** Otsu's between-class variance for every cut (cut k: bins < k are class 0), optionally valley-weighted. */
function bestCut(hist: Float64Array, valleyWeight: Float64Array | null): number {
  let total = 0;
  let sumAll = 0;
  for (let i = 0; i < hist.length; i++) {
    total += hist[i];
    sumAll += i * hist[i];
  }
  let w0 = 0;
  let sum0 = 0;
  let best = -1;
  let bestK = hist.length >> 1;
  for (let k = 1; k < hist.length; k++) {
    w0 += hist[k - 1];
    sum0 += (k - 1) * hist[k - 1];
    const w1 = total - w0;
    if (w0 === 0 || w1 === 0) continue;
    const m0 = sum0 / w0;
    const m1 = (sumAll - sum0) / w1;
    let score = (w0 / total) * (w1 / total) * (m0 - m1) * (m0 - m1);
    if (valleyWeight) score *= 1 - valleyWeight[k];
    if (score > best) {
      best = score;
      bestK = k;
    }
  }
  return bestK;
}

export interface ThresholdOptions {
  /** `valley-otsu` (default) or plain `otsu`. */
  method?: 'valley-otsu' | 'otsu';
}

/** Choose the threshold of `index` for a scene from a sample of its values (NaN/±Infinity ignored). */
export function chooseIndexThreshold(values: ArrayLike<number>, index: WaterIndex, options: ThresholdOptions = {}): IndexThreshold {
  const method = options.method ?? 'valley-otsu';
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  const sorted = Float64Array.from(finite).sort();
  const n = sorted.length;
  const fallbackSoftness = index.physicalThreshold !== null ? 0.05 : Math.max(1e-3, (quantile(sorted, 0.9) - quantile(sorted, 0.1)) / 8 || 0.05);
  const single = (threshold: number, m: ThresholdMethod): IndexThreshold => ({
    threshold,
    method: m,
    unimodal: true,
    valleyRatio: 1,
    waterFraction: n ? countAtLeast(sorted, threshold) / n : 0,
    softness: fallbackSoftness,
    sampleSize: n,
  });
  if (n < 64) return single(index.physicalThreshold ?? (n ? quantile(sorted, 0.5) : 0), index.physicalThreshold !== null ? 'physical' : 'median');
  const lo = quantile(sorted, 0.005);
  const hi = quantile(sorted, 0.995);
  if (!(hi - lo > 1e-9)) return single(index.physicalThreshold ?? lo, index.physicalThreshold !== null ? 'physical' : 'median');

  const hist = new Float64Array(BINS);
  const width = (hi - lo) / BINS;
  for (let i = 0; i < n; i++) {
    const v = sorted[i];
    const b = Math.floor((v - lo) / width);
    hist[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
  }
  const smooth = new Float64Array(BINS);
  for (let i = 0; i < BINS; i++) {
    let s = 0;
    let c = 0;
    for (let j = Math.max(0, i - 2); j <= Math.min(BINS - 1, i + 2); j++) {
      s += hist[j];
      c++;
    }
    smooth[i] = s / c / n;
  }
  const cut = bestCut(hist, method === 'valley-otsu' ? smooth : null);
  const threshold = lo + cut * width;

  // Unimodal guard: a real valley between a peak on each side.
  let pLow = 0;
  let at0 = 0;
  for (let i = 0; i < cut; i++) if (smooth[i] > pLow) [pLow, at0] = [smooth[i], i];
  let pHigh = 0;
  let at1 = cut;
  for (let i = cut; i < BINS; i++) if (smooth[i] > pHigh) [pHigh, at1] = [smooth[i], i];
  let valley = Infinity;
  for (let i = at0; i <= at1; i++) valley = Math.min(valley, smooth[i]);
  const valleyRatio = Math.min(pLow, pHigh) > 0 ? valley / Math.min(pLow, pHigh) : 1;
  const above = countAtLeast(sorted, threshold);
  const minority = Math.min(above, n - above) / n;
  let sumLow = 0;
  let sumHigh = 0;
  for (let i = 0; i < n; i++) {
    if (sorted[i] >= threshold) sumHigh += sorted[i];
    else sumLow += sorted[i];
  }
  const meanLow = above < n ? sumLow / (n - above) : threshold;
  const meanHigh = above > 0 ? sumHigh / above : threshold;
  if (valleyRatio > MAX_VALLEY_RATIO || minority < MIN_CLASS_FRACTION || meanHigh - meanLow < index.minSeparation) {
    if (index.physicalThreshold !== null) return { ...single(index.physicalThreshold, 'physical'), valleyRatio };
    return { ...single(threshold, method), valleyRatio };
  }
  return {
    threshold,
    method,
    unimodal: false,
    valleyRatio,
    waterFraction: above / n,
    softness: Math.max(1e-6, (meanHigh - meanLow) / 8),
    sampleSize: n,
  };
}

/** Values ≥ t in an ascending array (binary search). */
function countAtLeast(sorted: Float64Array, t: number): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (sorted[m] < t) a = m + 1;
    else b = m;
  }
  return sorted.length - a;
}
