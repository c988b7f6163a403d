/** Test reference: the whole-mask tracer (Int32 label per pixel) as it was before the streaming tracer (commit 0ae743e), kept to prove outputs identical. */
/**
 * Binary mask → polygons with holes, in pixel coordinates (vertex (x, y) is the top-left corner of
 * pixel (x, y); the grid of vertices is (width+1) x (height+1)).
 *
 * 1. Connected components of water pixels (two-pass union-find, core/masks/connectedComponents.ts),
 *    4-connectivity by default like gdal_polygonize, 8 optional. Components are numbered in raster-scan
 *    order of their first pixel, which makes polygon ids stable for a given mask.
 * 2. Boundary tracing along pixel edges, keeping water on the right (y down). At a saddle vertex
 *    (two water pixels touching only diagonally) the tracer turns right, keeping the diagonal pixels
 *    apart, so rings never cross. With 8-connectivity the 4-connected pieces of one 8-connected
 *    component become the parts of one MultiPolygon (parts touching at corners are valid there,
 *    while one ring through such a corner, or a hole cutting a polygon's interior in two, is not).
 * 3. A ring that passes a vertex twice (a pinch) is split there into simple rings; by orientation,
 *    each piece is a shell or a hole (a hole may touch its shell or another hole at one vertex, which
 *    OGC Simple Features allows; a self-touching ring is not allowed and never produced).
 * 4. Holes are attached to the shell of the 4-connected component whose water pixel borders them.
 *
 * Only turn vertices are kept (collinear pixel corners are dropped). Memory: one Int32 label per pixel
 * plus one byte of edge flags per vertex, on top of the mask.
 */

import { labelComponents, type Connectivity } from '../../src/core/masks/connectedComponents.ts';

export type { Connectivity };

/** A ring as flat [x0, y0, x1, y1, ...], not closed (the first vertex is not repeated). */
export type PixelRing = number[];

export interface PixelPolygon {
  /** 1-based component number (per the requested connectivity), in raster-scan order of its first pixel. */
  component: number;
  /**
   * One entry per shell: [shell, ...holes]. Shells have positive shoelace area in (x, y-down), holes
   * negative. A 4-connected component always has one part; an 8-connected one whose pixels touch only
   * diagonally somewhere has several parts meeting at single vertices (a MultiPolygon: one Polygon
   * with a self-touching ring would be invalid).
   */
  parts: PixelRing[][];
  /** Water pixels in the component (equals shell area minus hole areas). */
  pixelCount: number;
  /** Sum of the component's values in `values` (e.g. quantized probability), when given. */
  valueSum: number;
}

export interface TraceResult {
  polygons: PixelPolygon[];
  /** Vertex keys (y * (width + 1) + x) of saddle vertices: rings may touch there; keep them when simplifying. */
  junctions: Set<number>;
  width: number;
  height: number;
}

export interface TraceOptions {
  connectivity?: Connectivity;
  /** Per-pixel values to sum per component (e.g. quantized probability for mean_probability). */
  values?: Uint8Array;
}

// Directions: 0 = E (+x), 1 = S (+y), 2 = W (-x), 3 = N (-y). Right turn = (d + 1) % 4 (y down).
const DX = [1, 0, -1, 0];
const DY = [0, 1, 0, -1];

/** Trace a 0/1 mask (any non-zero byte is water) into polygons with holes, in pixel coordinates. */
export function traceMask(mask: Uint8Array, width: number, height: number, options: TraceOptions = {}): TraceResult {
  const connectivity = options.connectivity ?? 4;
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} pixels, expected ${width}x${height}`);
  const { labels, count } = labelComponents(mask, width, height, 4);
  const pixelCount = new Float64Array(count + 1);
  const valueSum = new Float64Array(count + 1);
  const values = options.values;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l) {
      pixelCount[l]++;
      if (values) valueSum[l] += values[i];
    }
  }
  const W1 = width + 1;
  const water = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  const hasEdge = (x: number, y: number, d: number): boolean => {
    switch (d) {
      case 0: return water(x, y) && !water(x, y - 1);
      case 1: return water(x - 1, y) && !water(x, y);
      case 2: return water(x - 1, y - 1) && !water(x - 1, y);
      default: return water(x, y - 1) && !water(x - 1, y - 1);
    }
  };
  // the water pixel on the right of the edge leaving (x, y) in direction d
  const rightPixel = (x: number, y: number, d: number): number => {
    switch (d) {
      case 0: return y * width + x;
      case 1: return y * width + x - 1;
      case 2: return (y - 1) * width + x - 1;
      default: return (y - 1) * width + x;
    }
  };
  const visited = new Uint8Array(W1 * (height + 1));
  const junctions = new Set<number>();
  const turnOrder = [1, 0, 3]; // right, straight, left
  const shells = new Map<number, PixelRing[]>();
  const holes: { component: number; ring: PixelRing }[] = [];

  const emit = (ring: PixelRing): void => {
    if (ring.length < 8) return; // fewer than 4 vertices: cannot enclose area
    const area = ringPixelArea(ring);
    const x0 = ring[0], y0 = ring[1], x1 = ring[2], y1 = ring[3];
    const d = x1 > x0 ? 0 : y1 > y0 ? 1 : x1 < x0 ? 2 : 3;
    const component = labels[rightPixel(x0, y0, d)];
    if (area > 0) {
      const list = shells.get(component);
      if (list) list.push(ring);
      else shells.set(component, [ring]);
    } else if (area < 0) {
      holes.push({ component, ring });
    }
  };

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!hasEdge(x, y, 0) || visited[y * W1 + x] & 1) continue;
      // Trace one ring starting with the east edge at vertex (x, y); record turn vertices.
      const verts: number[] = [];
      let cx = x, cy = y, d = 0;
      for (;;) {
        visited[cy * W1 + cx] |= 1 << d;
        cx += DX[d];
        cy += DY[d];
        let nd = -1;
        let options = 0;
        for (const t of turnOrder) {
          const cand = (d + t) % 4;
          if (hasEdge(cx, cy, cand)) {
            options++;
            if (nd < 0) nd = cand;
          }
        }
        if (options > 1) junctions.add(cy * W1 + cx);
        if (nd < 0) throw new Error(`mask tracing lost the boundary at (${cx}, ${cy})`);
        if (nd !== d) verts.push(cx, cy);
        d = nd;
        if (visited[cy * W1 + cx] & (1 << d)) break;
      }
      splitAtPinches(verts, W1, emit);
    }
  }

  // one polygon per 4-connected component (its single shell plus the holes it borders)
  const polygons4: PixelPolygon[] = [];
  for (let c = 1; c <= count; c++) {
    const own = shells.get(c) ?? [];
    if (own.length === 0) continue;
    polygons4.push({ component: c, parts: own.map((shell) => [shell]), pixelCount: pixelCount[c], valueSum: valueSum[c] });
  }
  const byComponent = new Map<number, PixelPolygon>();
  for (const p of polygons4) byComponent.set(p.component, p);
  for (const { component, ring } of holes) {
    const target = byComponent.get(component);
    if (!target) continue;
    const part = target.parts.length === 1 ? target.parts[0] : target.parts.find((pt) => ringContainsRing(pt[0], ring)) ?? target.parts[0];
    part.push(ring);
  }
  const polygons = connectivity === 8 ? groupDiagonalNeighbours(polygons4, labels, count, width, height) : polygons4;
  return { polygons, junctions, width, height };
}

/** Merge 4-connected components that touch diagonally into multi-part 8-connected components. */
function groupDiagonalNeighbours(polygons4: PixelPolygon[], labels: Int32Array, count: number, width: number, height: number): PixelPolygon[] {
  const parent = new Int32Array(count + 1);
  for (let i = 0; i <= count; i++) parent[i] = i;
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a]];
    return a;
  };
  for (let y = 1; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const l = labels[y * width + x];
      if (!l) continue;
      for (const nx of [x - 1, x + 1]) {
        if (nx < 0 || nx >= width) continue;
        const m = labels[(y - 1) * width + nx];
        if (m && m !== l) {
          const a = find(l), b = find(m);
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        }
      }
    }
  }
  const groups = new Map<number, PixelPolygon>();
  const out: PixelPolygon[] = [];
  for (const p of polygons4) {
    const root = find(p.component);
    const g = groups.get(root);
    if (g) {
      g.parts.push(...p.parts);
      g.pixelCount += p.pixelCount;
      g.valueSum += p.valueSum;
    } else {
      const first: PixelPolygon = { component: out.length + 1, parts: [...p.parts], pixelCount: p.pixelCount, valueSum: p.valueSum };
      groups.set(root, first);
      out.push(first);
    }
  }
  return out;
}

/** Split a closed vertex list at repeated vertices into simple rings. */
function splitAtPinches(verts: number[], W1: number, emit: (ring: PixelRing) => void): void {
  const stack: number[] = [];
  const where = new Map<number, number>();
  const n = verts.length / 2;
  for (let k = 0; k < n; k++) {
    const x = verts[2 * k], y = verts[2 * k + 1];
    const key = y * W1 + x;
    const at = where.get(key);
    if (at !== undefined) {
      const sub = stack.slice(at * 2);
      for (let j = at + 1; j < stack.length / 2; j++) where.delete(stack[2 * j + 1] * W1 + stack[2 * j]);
      stack.length = (at + 1) * 2;
      emit(sub);
    } else {
      where.set(key, stack.length / 2);
      stack.push(x, y);
    }
  }
  emit(stack);
}

/** Shoelace area of a ring in pixel units (positive for shells). */
export function ringPixelArea(ring: PixelRing): number {
  let a2 = 0;
  const n = ring.length / 2;
  for (let k = 0; k < n; k++) {
    const j = (k + 1) % n;
    a2 += ring[2 * k] * ring[2 * j + 1] - ring[2 * j] * ring[2 * k + 1];
  }
  return a2 / 2;
}

/** Shell areas plus (negative) hole areas, over every part. */
export function polygonPixelArea(parts: PixelRing[][]): number {
  return parts.reduce((s, rings) => s + rings.reduce((t, r) => t + ringPixelArea(r), 0), 0);
}

function ringContainsRing(outer: PixelRing, inner: PixelRing): boolean {
  // test the midpoint of the inner ring's first edge (never on a pixel corner shared with `outer`'s vertices)
  const px = (inner[0] + inner[2]) / 2 + 0.25 * Math.sign(inner[3] - inner[1]);
  const py = (inner[1] + inner[3]) / 2 + 0.25 * Math.sign(inner[0] - inner[2]);
  return pointInRing(outer, px, py);
}

/** Even-odd (crossing number) test of a point against a ring; a point exactly on an edge may go either way. */
export function pointInRing(ring: PixelRing, px: number, py: number): boolean {
  let inside = false;
  const n = ring.length / 2;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = ring[2 * i], yi = ring[2 * i + 1], xj = ring[2 * j], yj = ring[2 * j + 1];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** The same result with each ring in an Int32Array, as the streaming tracer gives it (src/core/vector/traceMask.ts PixelRing). */
export function typedRings(trace: TraceResult): Omit<TraceResult, 'polygons'> & { polygons: (Omit<PixelPolygon, 'parts'> & { parts: Int32Array[][] })[] } {
  return { ...trace, polygons: trace.polygons.map((p) => ({ ...p, parts: p.parts.map((rings) => rings.map((r) => Int32Array.from(r))) })) };
}
