import { describe, expect, it } from 'vitest';
import { CHANGE_CODE, CHANGE_NO_DATA, classifyChange } from '../../src/core/change/changeClasses.ts';
import { vectorizeChange } from '../../src/core/change/changeFeatures.ts';
import { summarizeChange } from '../../src/core/change/changeSummary.ts';
import { resampleNearest } from '../../src/core/change/gridResample.ts';
import { pixelAreaGrid } from '../../src/core/change/pixelAreas.ts';
import type { GeoTransform } from '../../src/core/grid/affine.ts';

const N = 255; // no data

describe('classifyChange', () => {
  it('gives every combination of water, dry and no data its class', () => {
    //            A:  water dry  water dry   N    water N
    const a = Uint8Array.from([254, 0, 200, 10, N, 127, N]);
    const b = Uint8Array.from([254, 254, 3, 20, 254, N, N]);
    expect([...classifyChange(a, b, 0.5)]).toEqual([
      CHANGE_CODE.permanent, CHANGE_CODE.gained, CHANGE_CODE.lost, CHANGE_CODE.dry, CHANGE_CODE.unknown, CHANGE_CODE.unknown, CHANGE_NO_DATA,
    ]);
    // 127/254 = 0.5 exactly counts as water (p >= threshold), as in thresholdProbability
    expect(classifyChange(Uint8Array.from([127]), Uint8Array.from([0]), 0.5)[0]).toBe(CHANGE_CODE.lost);
    expect(() => classifyChange(new Uint8Array(2), new Uint8Array(3), 0.5)).toThrow(/same grid/);
  });
});

describe('resampleNearest', () => {
  const source = { width: 40, height: 30, data: Uint8Array.from({ length: 1200 }, (_, i) => i % 251) };

  it('copies pixels exactly under a whole-pixel shift and fills outside', () => {
    const out = resampleNearest(source, 50, 40, (x, y) => [x - 5, y + 3], { fill: N });
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 50; x++) {
        const u = x - 5, v = y + 3;
        const want = u >= 0 && v >= 0 && u < 40 && v < 30 ? source.data[v * 40 + u] : N;
        expect(out[y * 50 + x]).toBe(want);
      }
    }
  });

  it('agrees with exact per-pixel mapping for a curved mapping (lattice + error check)', () => {
    // interpolation error at a cell centre is k·(step/2)² px: 0.0016 (exact to the pixel), 0.08 (interpolated,
    // ≤ 0.125 px off: only centres that close to a source pixel edge may differ), 0.8 (> 0.125: mapped exactly)
    const differing = (k: number) => {
      const map = (x: number, y: number) => [0.8 * x + k * y * y, 0.7 * y + k * x * x] as const;
      const fast = resampleNearest(source, 45, 38, map, { step: 8 });
      const exact = resampleNearest(source, 45, 38, map, { step: 1 });
      let n = 0;
      for (let i = 0; i < fast.length; i++) if (fast[i] !== exact[i]) n++;
      return n / fast.length;
    };
    expect(differing(1e-4)).toBe(0);
    expect(differing(5e-3)).toBeLessThan(0.08);
    expect(differing(5e-2)).toBe(0);
  });
});

describe('summarizeChange + vectorizeChange', () => {
  // 100 x 80 px, 30 m UTM pixels: a square lake that moved right by 10 px, a no-data strip in B
  const width = 100, height = 80;
  const gt: GeoTransform = [500000, 30, 0, 5000000, 0, -30];
  const utm18 = (x: number, y: number): [number, number] => {
    // equirectangular stand-in near 45°N: metres → degrees (enough for an area test with a known answer)
    const lat = 45 + (y - 5000000) / 111320;
    return [-75 + (x - 500000) / (111320 * Math.cos((lat * Math.PI) / 180)), lat];
  };
  const a = new Uint8Array(width * height);
  const b = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      a[i] = x >= 20 && x < 50 && y >= 20 && y < 50 ? 254 : 0;
      b[i] = y >= 75 ? N : x >= 30 && x < 60 && y >= 20 && y < 50 ? 254 : 0;
    }
  }
  const classes = classifyChange(a, b, 0.5);

  it('measures each class; water of A = permanent + lost, of B = permanent + gained', () => {
    const s = summarizeChange(classes, width, height, pixelAreaGrid(width, height, gt, utm18));
    const km2 = (c: string) => s.classes.find((k) => k.class === c)!.areaKm2;
    const pixel = 900 / 1e6;
    expect(km2('permanent') / (20 * 30 * pixel)).toBeCloseTo(1, 2);
    expect(km2('lost') / (10 * 30 * pixel)).toBeCloseTo(1, 2);
    expect(km2('gained') / (10 * 30 * pixel)).toBeCloseTo(1, 2);
    expect(km2('unknown') / (5 * 100 * pixel)).toBeCloseTo(1, 2);
    expect(s.commonValidKm2 / (75 * 100 * pixel)).toBeCloseTo(1, 2);
    expect(s.waterAKm2).toBeCloseTo(km2('permanent') + km2('lost'), 5);
    expect(s.waterBKm2).toBeCloseTo(km2('permanent') + km2('gained'), 5);
    const shares = s.classes.filter((c) => c.class !== 'unknown').reduce((t, c) => t + c.percentOfCommonValid!, 0);
    expect(shares).toBeCloseTo(100, 1);
    expect(s.classes.find((c) => c.class === 'unknown')!.percentOfCommonValid).toBeNull();
  });

  it('writes one polygon per class region with class and area_m2 matching the summary', () => {
    const features = vectorizeChange(classes, width, height, { geoTransform: gt, toWgs84: utm18 });
    expect(features.map((f) => f.properties.class)).toEqual(['permanent', 'gained', 'lost', 'unknown']);
    expect(features.map((f) => f.properties.pixel_count)).toEqual([600, 300, 300, 500]);
    expect(features.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    const s = summarizeChange(classes, width, height, pixelAreaGrid(width, height, gt, utm18));
    for (const f of features) {
      const km2 = s.classes.find((c) => c.class === f.properties.class)!.areaKm2;
      expect(Math.abs(f.properties.area_m2 / 1e6 / km2 - 1)).toBeLessThan(1e-3);
    }
  });
});
