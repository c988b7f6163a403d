import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accumulateConfusion, addConfusion, emptyConfusion, metricsFromConfusion } from '../../src/core/masks/metrics.ts';

describe('mask metrics (hand-computed cases)', () => {
  it('counts a 2x3 prediction against its truth', () => {
    // predicted: water water dry / dry water dry ; truth: water dry dry / water water dry
    const predicted = [0.9, 0.6, 0.1, 0.2, 0.5, 0.49];
    const truth = [1, 0, 0, 1, 1, 0];
    const c = accumulateConfusion(emptyConfusion(), predicted, truth);
    expect(c).toEqual({ tp: 2, fp: 1, fn: 1, tn: 2 });
    const m = metricsFromConfusion(c);
    expect(m.iou).toBeCloseTo(2 / 4, 12);
    expect(m.f1).toBeCloseTo(4 / 6, 12);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    expect(m.accuracy).toBeCloseTo(4 / 6, 12);
  });

  it('micro-averages: counts add up across masks before the ratios', () => {
    const c = emptyConfusion();
    accumulateConfusion(c, [1, 1, 1, 1], [1, 1, 1, 1]); // 4 tp
    accumulateConfusion(c, [1, 0], [0, 1]); // 1 fp, 1 fn
    const m = metricsFromConfusion(c);
    expect(m.iou).toBeCloseTo(4 / 6, 12); // a macro average would give (1 + 0) / 2
  });

  it('honours the truth threshold for 8-bit masks and skips invalid pixels', () => {
    const c = accumulateConfusion(emptyConfusion(), [1, 1, 0, 0], [255, 127, 128, 0], { truthThreshold: 128, valid: [1, 1, 1, 0] });
    expect(c).toEqual({ tp: 1, fp: 1, fn: 1, tn: 0 });
  });

  it('treats agreement on "no water" as perfect, and missing all water as 0', () => {
    expect(metricsFromConfusion({ tp: 0, fp: 0, fn: 0, tn: 10 })).toMatchObject({ iou: 1, f1: 1, precision: 1, recall: 1 });
    expect(metricsFromConfusion({ tp: 0, fp: 0, fn: 5, tn: 5 })).toMatchObject({ iou: 0, f1: 0, precision: 0, recall: 0 });
    expect(metricsFromConfusion({ tp: 0, fp: 5, fn: 0, tn: 5 })).toMatchObject({ iou: 0, f1: 0, precision: 0, recall: 0 });
  });

  it('rejects masks of different sizes', () => {
    expect(() => accumulateConfusion(emptyConfusion(), [1, 0], [1])).toThrow(/2 pixels.*1/);
  });

  it('properties: ratios in [0,1], F1 = 2 IoU / (1 + IoU), a mask against itself scores 1', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 200 }), (pairs) => {
      const p = pairs.map(([a]) => (a ? 1 : 0));
      const t = pairs.map(([, b]) => (b ? 1 : 0));
      const m = metricsFromConfusion(accumulateConfusion(emptyConfusion(), p, t));
      for (const v of [m.iou, m.f1, m.precision, m.recall, m.accuracy]) expect(v >= 0 && v <= 1).toBe(true);
      expect(m.f1).toBeCloseTo((2 * m.iou) / (1 + m.iou), 10);
      expect(m.tp + m.fp + m.fn + m.tn).toBe(pairs.length);
      const self = metricsFromConfusion(accumulateConfusion(emptyConfusion(), t, t));
      expect(self.iou).toBe(1);
      expect(addConfusion(emptyConfusion(), self)).toEqual({ tp: self.tp, fp: 0, fn: 0, tn: self.tn });
    }));
  });
});
