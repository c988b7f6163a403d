import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rasterizePolygons, ringArea, type PixelPolygon, type PixelRing } from '../../src/core/masks/polygonRasterizer.ts';

const W = 40;
const H = 30;
const count = (m: Uint8Array) => m.reduce((n, v) => n + v, 0);
/** Fast equality (vitest's deep toEqual on typed arrays is slow inside property runs). */
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);
const rect = (x0: number, y0: number, x1: number, y1: number): PixelRing => [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
/** Pixel centres c + 0.5 in [a, b). */
const centresIn = (a: number, b: number, size: number) => {
  let n = 0;
  for (let c = 0; c < size; c++) if (c + 0.5 >= a && c + 0.5 < b) n++;
  return n;
};
const coord = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
const rectArb = fc.tuple(coord(-10, 50), coord(-10, 50), coord(-10, 50), coord(-10, 50))
  .map(([a, b, c, d]) => [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)] as const);

describe('rasterizePolygons', () => {
  it('covers exactly the pixel centres of an axis-aligned rectangle (any real coordinates, clipped to the grid)', () => {
    fc.assert(fc.property(rectArb, fc.constantFrom('evenodd', 'nonzero' as const), ([x0, y0, x1, y1], fillRule) => {
      const m = rasterizePolygons([[rect(x0, y0, x1, y1)]], W, H, { fillRule: fillRule as 'evenodd' | 'nonzero' });
      expect(count(m)).toBe(centresIn(x0, x1, W) * centresIn(y0, y1, H));
      for (let r = 0; r < H; r++) {
        for (let c = 0; c < W; c++) {
          const inside = c + 0.5 >= x0 && c + 0.5 < x1 && r + 0.5 >= y0 && r + 0.5 < y1;
          if (m[r * W + c] !== (inside ? 1 : 0)) return false;
        }
      }
      return true;
    }), { numRuns: 300 });
  });

  it('ignores ring orientation, a repeated closing vertex, and integer translation only shifts the mask', () => {
    const polyArb = fc.array(fc.tuple(coord(2, 20), coord(2, 15)), { minLength: 3, maxLength: 12 });
    fc.assert(fc.property(polyArb, fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 10 }), (pts, dx, dy) => {
      const ring = pts as PixelRing;
      const a = rasterizePolygons([[ring]], W, H);
      expect(same(rasterizePolygons([[[...ring].reverse()]], W, H), a)).toBe(true);
      expect(same(rasterizePolygons([[[...ring, ring[0]]]], W, H), a)).toBe(true);
      const shifted = rasterizePolygons([[ring.map(([x, y]) => [x + dx, y + dy] as const)]], W, H);
      let bad = 0;
      for (let r = 0; r + dy < H; r++) for (let c = 0; c + dx < W; c++) if (shifted[(r + dy) * W + c + dx] !== a[r * W + c]) bad++;
      expect(bad).toBe(0);
      // a window of a larger grid (originX/Y) is the same as translating the polygon
      const windowed = rasterizePolygons([[ring.map(([x, y]) => [x + dx, y + dy] as const)]], W, H, { originX: dx, originY: dy });
      expect(same(windowed, a)).toBe(true);
    }), { numRuns: 150 });
  });

  it('pixel count of a convex polygon is its area within half its perimeter', () => {
    // random convex polygon: points on an ellipse at sorted angles
    const arb = fc.record({
      cx: coord(12, 28), cy: coord(10, 20), rx: coord(2, 10), ry: coord(2, 9),
      angles: fc.uniqueArray(coord(0, 2 * Math.PI), { minLength: 3, maxLength: 20 }),
    });
    fc.assert(fc.property(arb, ({ cx, cy, rx, ry, angles }) => {
      const ring = [...angles].sort((a, b) => a - b).map((t) => [cx + rx * Math.cos(t), cy + ry * Math.sin(t)] as const);
      const area = Math.abs(ringArea(ring));
      let perimeter = 0;
      for (let i = 0; i < ring.length; i++) perimeter += Math.hypot(ring[(i + 1) % ring.length][0] - ring[i][0], ring[(i + 1) % ring.length][1] - ring[i][1]);
      expect(Math.abs(count(rasterizePolygons([[ring]], W, H)) - area)).toBeLessThanOrEqual(perimeter / 2 + 1);
    }), { numRuns: 200 });
  });

  it('holes: outer minus inner under evenodd (either orientation) and nonzero (opposite orientation)', () => {
    fc.assert(fc.property(rectArb, rectArb, ([ax0, ay0, ax1, ay1], [bx0, by0, bx1, by1]) => {
      const outer = rect(ax0, ay0, ax1, ay1);
      // hole = intersection of b with a, so it lies inside the outer ring
      const hole = rect(Math.max(ax0, bx0), Math.max(ay0, by0), Math.max(Math.max(ax0, bx0), Math.min(ax1, bx1)), Math.max(Math.max(ay0, by0), Math.min(ay1, by1)));
      const o = rasterizePolygons([[outer]], W, H);
      const h = rasterizePolygons([[hole]], W, H);
      const expected = o.map((v, i) => (v && !h[i] ? 1 : 0));
      expect(same(rasterizePolygons([[outer, hole]], W, H), expected)).toBe(true);
      expect(same(rasterizePolygons([[outer, [...hole].reverse()]], W, H), expected)).toBe(true);
      expect(same(rasterizePolygons([[outer, [...hole].reverse()]], W, H, { fillRule: 'nonzero' }), expected)).toBe(true);
    }), { numRuns: 200 });
  });

  it('the union of polygons is the OR of each (overlaps never cancel)', () => {
    const polyArb = fc.array(fc.tuple(coord(-5, 45), coord(-5, 35)), { minLength: 3, maxLength: 8 });
    fc.assert(fc.property(fc.array(polyArb, { minLength: 1, maxLength: 4 }), fc.constantFrom('evenodd', 'nonzero' as const), (polys, fillRule) => {
      const opts = { fillRule: fillRule as 'evenodd' | 'nonzero' };
      const polygons: PixelPolygon[] = polys.map((p) => [p as PixelRing]);
      const union = rasterizePolygons(polygons, W, H, opts);
      const or = new Uint8Array(W * H);
      for (const p of polygons) rasterizePolygons([p], W, H, { ...opts, into: or });
      expect(same(union, or)).toBe(true);
    }), { numRuns: 150 });
  });

  it('a pentagram: the centre is filled under nonzero, empty under evenodd; known areas', () => {
    const star: PixelRing = [0, 2, 4, 1, 3].map((k) => {
      const t = -Math.PI / 2 + (k * 2 * Math.PI) / 5;
      return [20 + 14 * Math.cos(t), 15 + 14 * Math.sin(t)] as const;
    });
    const eo = rasterizePolygons([[star]], W, H);
    const nz = rasterizePolygons([[star]], W, H, { fillRule: 'nonzero' });
    const centre = 15 * W + 20;
    expect([eo[centre], nz[centre]]).toEqual([0, 1]);
    // areas of the regular pentagram (R = 14): points = 5 triangles; inner pentagon r = R·sin18°/sin126°... check against shoelace
    const outerPts: [number, number][] = [];
    for (let k = 0; k < 10; k++) {
      const t = -Math.PI / 2 + (k * Math.PI) / 5;
      const rad = k % 2 === 0 ? 14 : (14 * Math.sin(Math.PI / 10)) / Math.sin((7 * Math.PI) / 10);
      outerPts.push([20 + rad * Math.cos(t), 15 + rad * Math.sin(t)]);
    }
    const starArea = Math.abs(ringArea(outerPts));
    const pentagonArea = Math.abs(ringArea(outerPts.filter((_, k) => k % 2 === 1)));
    expect(Math.abs(count(nz) - starArea)).toBeLessThan(starArea * 0.05);
    expect(Math.abs(count(eo) - (starArea - pentagonArea))).toBeLessThan(starArea * 0.05);
    // and nonzero ⊇ evenodd
    for (let i = 0; i < eo.length; i++) if (eo[i]) expect(nz[i]).toBe(1);
  });

  it('right triangle with a 1:1 diagonal: the exact staircase', () => {
    // y ≥ x inside: pixel (c, r) is in when c + 0.5 < r + 0.5 (the diagonal itself is excluded on the right)
    const m = rasterizePolygons([[[[0, 0], [10, 10], [0, 10]]]], 10, 10);
    for (let r = 0; r < 10; r++) for (let c = 0; c < 10; c++) expect(m[r * 10 + c]).toBe(c < r ? 1 : 0);
    expect(count(m)).toBe(45);
  });

  it('skips non-finite vertices and degenerate input without throwing', () => {
    expect(count(rasterizePolygons([], 5, 5))).toBe(0);
    expect(count(rasterizePolygons([[[[1, 1], [3, 1]]]], 5, 5))).toBe(0);
    expect(count(rasterizePolygons([[[[0, 0], [Number.NaN, 2], [5, 5]]]], 5, 5))).toBeGreaterThanOrEqual(0);
    expect(() => rasterizePolygons([], 2, 2, { into: new Uint8Array(3) })).toThrow(RangeError);
  });
});
