import { booleanClockwise, booleanValid, kinks } from '@turf/turf';
import fc from 'fast-check';
import type { Polygon } from 'geojson';
import { describe, expect, it } from 'vitest';
import { polygonPixelArea, traceMask, type Connectivity } from '../../src/core/vector/traceMask.ts';
import { simplifyRing } from '../../src/core/vector/simplifyRing.ts';
import { vectorizeMask } from '../../src/core/vector/vectorizeMask.ts';

/** Independent reference: count connected components with a BFS flood fill. */
function countComponents(mask: Uint8Array, w: number, h: number, conn: Connectivity): number {
  const seen = new Uint8Array(w * h);
  const nbrs = conn === 4 ? [[1, 0], [-1, 0], [0, 1], [0, -1]] : [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];
  let count = 0;
  for (let i = 0; i < w * h; i++) {
    if (!mask[i] || seen[i]) continue;
    count++;
    const queue = [i];
    seen[i] = 1;
    while (queue.length) {
      const j = queue.pop()!;
      const x = j % w, y = (j - x) / w;
      for (const [dx, dy] of nbrs) {
        const nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const k = ny * w + nx;
        if (mask[k] && !seen[k]) {
          seen[k] = 1;
          queue.push(k);
        }
      }
    }
  }
  return count;
}

/** Pixel rings as a GeoJSON polygon with tiny degree coordinates (y flipped: north up). */
function asGeoJson(rings: ArrayLike<number>[]): Polygon {
  return {
    type: 'Polygon',
    coordinates: rings.map((r) => {
      const pts: [number, number][] = [];
      for (let k = 0; k < r.length; k += 2) pts.push([r[k] * 0.001, -r[k + 1] * 0.001]);
      pts.push(pts[0]);
      return pts;
    }),
  };
}

const maskArb = fc
  .record({ w: fc.integer({ min: 1, max: 14 }), h: fc.integer({ min: 1, max: 14 }), density: fc.double({ min: 0.1, max: 0.9, noNaN: true }), seed: fc.integer() })
  .chain(({ w, h, density }) =>
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: w * h, maxLength: w * h }).map((vals) => ({
      w,
      h,
      mask: Uint8Array.from(vals, (v) => (v < density ? 1 : 0)),
    })),
  );

describe('traceMask', () => {
  it('traces a square with an island as a shell and one hole', () => {
    const w = 5, h = 5;
    const mask = new Uint8Array(w * h).fill(1);
    mask[2 * w + 2] = 0;
    const { polygons } = traceMask(mask, w, h);
    expect(polygons).toHaveLength(1);
    expect(polygons[0].parts).toEqual([[Int32Array.from([5, 0, 5, 5, 0, 5, 0, 0]), expect.any(Int32Array)]]);
    expect(polygonPixelArea(polygons[0].parts)).toBe(24);
  });

  it('keeps diagonal pixels apart with 4-connectivity and joins them with 8', () => {
    const mask = Uint8Array.from([1, 0, 0, 1]);
    expect(traceMask(mask, 2, 2, { connectivity: 4 }).polygons).toHaveLength(2);
    const eight = traceMask(mask, 2, 2, { connectivity: 8 }).polygons;
    expect(eight).toHaveLength(1);
    expect(polygonPixelArea(eight[0].parts)).toBe(2);
  });

  it('splits a pinched ring into a shell and a hole touching it at one vertex', () => {
    // water ring with the centre and one corner dry: the dry centre touches the outside diagonally
    const mask = Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0]);
    const { polygons } = traceMask(mask, 3, 3, { connectivity: 4 });
    expect(polygons).toHaveLength(1);
    expect(polygonPixelArea(polygons[0].parts)).toBe(7);
    expect(polygons[0].parts[0]).toHaveLength(2);
    expect(booleanValid(asGeoJson(polygons[0].parts[0]))).toBe(true);
  });

  for (const connectivity of [4, 8] as const) {
    it(`matches component count and pixel area, with valid rings (${connectivity}-connectivity, fast-check)`, () => {
      fc.assert(
        fc.property(maskArb, ({ w, h, mask }) => {
          const { polygons } = traceMask(mask, w, h, { connectivity });
          expect(polygons.length).toBe(countComponents(mask, w, h, connectivity));
          const water = mask.reduce((s, v) => s + v, 0);
          expect(polygons.reduce((s, p) => s + polygonPixelArea(p.parts), 0)).toBe(water);
          for (const p of polygons) {
            expect(polygonPixelArea(p.parts)).toBe(p.pixelCount);
            if (connectivity === 4) expect(p.parts).toHaveLength(1);
            for (const part of p.parts) {
              const geo = asGeoJson(part);
              for (const ring of part) expect(kinks(asGeoJson([ring])).features).toHaveLength(0);
              expect(booleanValid(geo)).toBe(true);
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('simplification keeps junction vertices and never collapses rings (fast-check)', () => {
    fc.assert(
      fc.property(maskArb, fc.double({ min: 0.5, max: 3, noNaN: true }), ({ w, h, mask }, tol) => {
        const trace = traceMask(mask, w, h);
        const W1 = w + 1;
        const anchor = (x: number, y: number) => trace.junctions.has(y * W1 + x);
        for (const p of trace.polygons) {
          for (const r of p.parts.flat()) {
            const s = simplifyRing(r, tol, anchor);
            expect(s.length).toBeGreaterThanOrEqual(8);
            for (let k = 0; k < r.length; k += 2) {
              if (anchor(r[k], r[k + 1])) {
                const kept = s.some((_, i) => i % 2 === 0 && s[i] === r[k] && s[i + 1] === r[k + 1]);
                expect(kept).toBe(true);
              }
            }
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('vectorizeMask', () => {
  it('simplified output is always valid, with the same polygon count (fast-check)', () => {
    fc.assert(
      fc.property(maskArb, fc.double({ min: 0.5, max: 3, noNaN: true }), ({ w, h, mask }, simplify) => {
        const opts = { geoTransform: [0, 0.001, 0, 0, 0, -0.001] as const, toWgs84: (x: number, y: number): [number, number] => [x, y] };
        const exact = vectorizeMask(mask, w, h, opts);
        const simple = vectorizeMask(mask, w, h, { ...opts, simplify });
        expect(simple.length).toBe(exact.length);
        for (const f of simple) expect(booleanValid(f.geometry)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('produces RFC 7946 polygons: CCW shells, CW holes, areas in m²', () => {
    // 10 m UTM-like pixels, lon/lat via a local equirectangular approximation near the equator
    const w = 6, h = 6;
    const mask = new Uint8Array(w * h).fill(0);
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) mask[y * w + x] = 1;
    mask[2 * w + 2] = 0;
    const toWgs84 = (x: number, y: number): [number, number] => [x / 111319.49, y / 110574.3];
    const values = new Uint8Array(w * h).fill(254);
    const features = vectorizeMask(mask, w, h, { geoTransform: [0, 10, 0, 600, 0, -10], toWgs84, values, valueScale: 254 });
    expect(features).toHaveLength(1);
    const f = features[0];
    if (f.geometry.type !== 'Polygon') throw new Error('expected a Polygon');
    expect(f.geometry.coordinates).toHaveLength(2);
    expect(booleanClockwise(f.geometry.coordinates[0] as [number, number][])).toBe(false);
    expect(booleanClockwise(f.geometry.coordinates[1] as [number, number][])).toBe(true);
    expect(f.properties.area_m2).toBeGreaterThan(1500 * 0.995);
    expect(f.properties.area_m2).toBeLessThan(1500 * 1.005);
    expect(f.properties.mean_probability).toBe(1);
    expect(f.properties.pixel_count).toBe(15);
    expect(f.properties.perimeter_m).toBeGreaterThan(199);
    const small = vectorizeMask(mask, w, h, { geoTransform: [0, 10, 0, 600, 0, -10], toWgs84, minAreaM2: 2000 });
    expect(small).toHaveLength(0);
  });
});
