/**
 * Pixel-level water-mask metrics: a confusion matrix accumulated over any number of masks (micro
 * averaging: every pixel of every mask counts once), and IoU / F1 / precision / recall from it.
 *
 * Conventions for empty cases (no water predicted and/or none in the truth): a ratio whose denominator is
 * 0 is 1 when nothing was missed and nothing was invented (perfect agreement on "no water"), else 0.
 */

export interface ConfusionCounts {
  /** Water predicted, water in the truth. */
  tp: number;
  /** Water predicted, no water in the truth. */
  fp: number;
  /** No water predicted, water in the truth. */
  fn: number;
  /** No water predicted, none in the truth. */
  tn: number;
}

export interface MaskMetrics extends ConfusionCounts {
  iou: number;
  f1: number;
  precision: number;
  recall: number;
  accuracy: number;
}

export interface AccumulateOptions {
  /** A predicted value counts as water when >= this (default 0.5: probabilities). */
  threshold?: number;
  /** A truth value counts as water when >= this (default 0.5: 0/1 masks; use 128 for 8-bit masks). */
  truthThreshold?: number;
  /** Only pixels with a non-zero entry here are counted (nodata, padding). */
  valid?: ArrayLike<number>;
}

export function emptyConfusion(): ConfusionCounts {
  return { tp: 0, fp: 0, fn: 0, tn: 0 };
}

/**
 * Add one predicted mask (probabilities or 0/1) and its truth (same length) to `counts`, in place.
 * Returns `counts` for chaining.
 */
export function accumulateConfusion(
  counts: ConfusionCounts,
  predicted: ArrayLike<number>,
  truth: ArrayLike<number>,
  options: AccumulateOptions = {},
): ConfusionCounts {
  if (predicted.length !== truth.length) {
    throw new RangeError(`predicted mask has ${predicted.length} pixels but the truth mask has ${truth.length}`);
  }
  const { valid } = options;
  if (valid && valid.length !== truth.length) {
    throw new RangeError(`valid mask has ${valid.length} pixels but the truth mask has ${truth.length}`);
  }
  const t = options.threshold ?? 0.5;
  const tt = options.truthThreshold ?? 0.5;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (valid && !valid[i]) continue;
    const p = predicted[i] >= t;
    const w = truth[i] >= tt;
    if (p) {
      if (w) tp++;
      else fp++;
    } else if (w) fn++;
    else tn++;
  }
  counts.tp += tp;
  counts.fp += fp;
  counts.fn += fn;
  counts.tn += tn;
  return counts;
}

export function addConfusion(a: ConfusionCounts, b: ConfusionCounts): ConfusionCounts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

function ratio(num: number, den: number, perfect: boolean): number {
  return den === 0 ? (perfect ? 1 : 0) : num / den;
}

export function metricsFromConfusion(c: ConfusionCounts): MaskMetrics {
  const agree = c.fp === 0 && c.fn === 0;
  return {
    ...c,
    iou: ratio(c.tp, c.tp + c.fp + c.fn, agree),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn, agree),
    precision: ratio(c.tp, c.tp + c.fp, c.fn === 0),
    recall: ratio(c.tp, c.tp + c.fn, c.fp === 0),
    accuracy: ratio(c.tp + c.tn, c.tp + c.fp + c.fn + c.tn, true),
  };
}
