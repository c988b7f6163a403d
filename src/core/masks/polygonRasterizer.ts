/**
 * Scanline polygon rasterizer: polygons in continuous pixel coordinates → a 0/1 mask.
 *
 * - Pixel (col, row) is inside when its centre (col + 0.5, row + 0.5) is inside — GDAL's default
 *   (`gdal_rasterize` without ALL_TOUCHED), so an axis-aligned rectangle [x0,x1)×[y0,y1) covers exactly
 *   the pixels whose centres it contains, and shared edges of adjacent polygons never double-cover.
 * - A polygon is an outer ring plus holes (GeoJSON order; ring orientation and closing vertex optional).
 *   `fillRule` decides insideness WITHIN one polygon: `evenodd` (default: holes are holes whatever their
 *   orientation) or `nonzero` (winding number ≠ 0: a self-overlapping ring stays filled; holes must
 *   wind opposite to their outer ring, as RFC 7946 asks). The result is the UNION of all polygons, so
 *   overlapping features never cancel each other out.
 * - Edge crossings use a half-open rule (y0 ≤ y < y1), so a vertex exactly on a scanline is counted once.
 */

/** A point [x, y] in pixel coordinates (x = column, y = row; (0,0) is the top-left corner). */
export type PixelPoint = readonly [number, number];
export type PixelRing = readonly PixelPoint[];
/** Outer ring first, then holes. */
export type PixelPolygon = readonly PixelRing[];

export type FillRule = 'evenodd' | 'nonzero';

export interface RasterizeOptions {
  fillRule?: FillRule;
  /** Mask to OR into (width*height, row-major); a new one is allocated when absent. */
  into?: Uint8Array;
  /** Where the mask's top-left corner lies in the polygons' coordinates (a window of a larger grid); default 0,0. */
  originX?: number;
  originY?: number;
}

interface Edge {
  /** First and last row whose centre the edge crosses. */
  rowStart: number;
  rowEnd: number;
  x0: number;
  y0: number;
  /** dx/dy */
  slope: number;
  /** +1 downward (y increasing), -1 upward. */
  dir: number;
  polygon: number;
}

interface Crossing {
  x: number;
  dir: number;
  polygon: number;
}

function collectEdges(polygons: readonly PixelPolygon[], height: number, ox: number, oy: number): Edge[] {
  const edges: Edge[] = [];
  polygons.forEach((polygon, p) => {
    for (const ring of polygon) {
      const n = ring.length;
      for (let i = 0; i < n; i++) {
        const pa = ring[i];
        const pb = ring[(i + 1) % n];
        const a = [pa[0] - ox, pa[1] - oy] as const;
        const b = [pb[0] - ox, pb[1] - oy] as const;
        if (!Number.isFinite(a[0]) || !Number.isFinite(a[1]) || !Number.isFinite(b[0]) || !Number.isFinite(b[1])) continue;
        if (a[1] === b[1]) continue; // horizontal: never crosses a scanline under the half-open rule
        const [top, bottom, dir] = a[1] < b[1] ? [a, b, 1] : [b, a, -1];
        // rows j with top.y ≤ j + 0.5 < bottom.y
        const rowStart = Math.max(0, Math.ceil(top[1] - 0.5));
        const rowEnd = Math.min(height - 1, Math.ceil(bottom[1] - 0.5) - 1);
        if (rowEnd < rowStart) continue;
        edges.push({ rowStart, rowEnd, x0: top[0], y0: top[1], slope: (bottom[0] - top[0]) / (bottom[1] - top[1]), dir, polygon: p });
      }
    }
  });
  return edges.sort((e, f) => e.rowStart - f.rowStart);
}

/** Fill columns whose centre lies in [xa, xb) on one row. */
function fillSpan(mask: Uint8Array, rowOffset: number, width: number, xa: number, xb: number): void {
  const c0 = Math.max(0, Math.ceil(xa - 0.5));
  const c1 = Math.min(width, Math.ceil(xb - 0.5));
  if (c1 > c0) mask.fill(1, rowOffset + c0, rowOffset + c1);
}

/** Rasterize polygons (union) onto a width×height grid. */
export function rasterizePolygons(polygons: readonly PixelPolygon[], width: number, height: number, options: RasterizeOptions = {}): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`mask size must be whole non-negative pixels, got ${width}x${height}`);
  }
  const mask = options.into ?? new Uint8Array(width * height);
  if (mask.length !== width * height) throw new RangeError(`'into' holds ${mask.length} pixels, expected ${width * height}`);
  const evenOdd = (options.fillRule ?? 'evenodd') === 'evenodd';
  const edges = collectEdges(polygons, height, options.originX ?? 0, options.originY ?? 0);
  const state = new Int32Array(polygons.length);
  let next = 0;
  let active: Edge[] = [];
  const crossings: Crossing[] = [];
  for (let row = 0; row < height && (next < edges.length || active.length > 0); row++) {
    active = active.filter((e) => e.rowEnd >= row);
    while (next < edges.length && edges[next].rowStart <= row) active.push(edges[next++]);
    if (active.length === 0) continue;
    const y = row + 0.5;
    crossings.length = 0;
    for (const e of active) crossings.push({ x: e.x0 + (y - e.y0) * e.slope, dir: e.dir, polygon: e.polygon });
    crossings.sort((a, b) => a.x - b.x);
    // sweep left to right: `inside` counts polygons the current span is inside of
    let inside = 0;
    let spanStart = 0;
    for (const c of crossings) {
      const before = state[c.polygon];
      const after = evenOdd ? before ^ 1 : before + c.dir;
      state[c.polygon] = after;
      const wasIn = before !== 0;
      const isIn = after !== 0;
      if (wasIn === isIn) continue;
      if (isIn) {
        if (inside++ === 0) spanStart = c.x;
      } else if (--inside === 0) {
        fillSpan(mask, row * width, width, spanStart, c.x);
      }
    }
    for (const c of crossings) state[c.polygon] = 0;
  }
  return mask;
}

/** Signed area (shoelace) of a ring in pixel units: positive when clockwise on screen (y down). */
export function ringArea(ring: PixelRing): number {
  let sum = 0;
  for (let i = 0, n = ring.length; i < n; i++) {
    const a = ring[i];
    const b = ring[(i + 1) % n];
    sum += a[0] * b[1] - b[0] * a[1];
  }
  return sum / 2;
}
