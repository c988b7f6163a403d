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
 * Only turn vertices are kept (collinear pixel corners are dropped). Memory (traceBitMask): the mask at one
 * bit per pixel, two rows of labels, one union-find entry per provisional label and the traced rings — no
 * per-pixel labels or flags, so a scene-size mask costs width × height / 8 bytes.
 */

import type { Connectivity } from '../masks/connectedComponents.ts';
import { BitMask } from '../masks/bitMask.ts';

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
  if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} pixels, expected ${width}x${height}`);
  const values = options.values;
  return traceBitMask(BitMask.fromBytes(mask, width, height), {
    connectivity: options.connectivity,
    valueRow: values ? (y) => values.subarray(y * width, (y + 1) * width) : undefined,
  });
}

export interface TraceRowsOptions {
  connectivity?: Connectivity;
  /** Row y of the per-pixel values to sum per component (asked once per row, in order), e.g. from a disk-backed raster. */
  valueRow?: (y: number) => ArrayLike<number>;
}

/**
 * The same tracing over a one-bit mask, in one pass over the rows: components are labelled with two rows
 * of provisional labels and a union-find (pixel counts and value sums per label), rings are traced from
 * their first east edge as the pass reaches it, and each ring's component is taken from its witness pixel
 * (the water pixel right of its first edge) once the pass has labelled that pixel. Besides the mask,
 * memory grows with the number of provisional labels and boundary edges, never with the scene area.
 * Output is identical to labelling the whole mask first (ids, rings, vertex order).
 */
export function traceBitMask(mask: BitMask, options: TraceRowsOptions = {}): TraceResult {
  return createMaskTracer(mask, options).finish();
}

/** What `advance` did: every row is done, it waits for rows not ready yet, or it used up its row budget. */
export type TracerProgress = 'done' | 'waiting' | 'budget';

/**
 * traceBitMask that can run while the mask is still being written, top to bottom: `advance(rowsReady)`
 * labels and traces as far as rows [0, rowsReady) allow (a ring reaching a row not ready yet waits for it,
 * and is traced whole later), at most `maxRows` rows per call; `finish()` does the rest once every row is
 * written. The sequence of steps is the same as traceBitMask's, so the result is identical whatever the calls.
 */
export interface MaskTracer {
  advance(rowsReady: number, maxRows?: number): TracerProgress;
  /** Rows labelled and fully traced so far. */
  readonly rowsDone: number;
  finish(): TraceResult;
}

export function createMaskTracer(mask: BitMask, options: TraceRowsOptions = {}): MaskTracer {
  const connectivity = options.connectivity ?? 4;
  const { width, height, bits, stride } = mask;
  const W1 = width + 1;
  const water = (x: number, y: number): boolean =>
    x >= 0 && y >= 0 && x < width && y < height && ((bits[y * stride + (x >> 3)] >> (x & 7)) & 1) === 1;
  const hasEdge = (x: number, y: number, d: number): boolean => {
    switch (d) {
      case 0: return water(x, y) && !water(x, y - 1);
      case 1: return water(x - 1, y) && !water(x, y);
      case 2: return water(x - 1, y - 1) && !water(x - 1, y);
      default: return water(x, y - 1) && !water(x - 1, y - 1);
    }
  };

  // Provisional labels: union-find (the smaller label is the root), pixel count and value sum per label.
  let parent = new Int32Array(1024);
  let parent8 = connectivity === 8 ? new Int32Array(1024) : null;
  let pixels = new Float64Array(1024);
  let sums = new Float64Array(1024);
  let next = 1;
  const newLabel = (): number => {
    if (next >= parent.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const g = new (a.constructor as new (n: number) => T)(a.length * 2);
        g.set(a);
        return g;
      };
      parent = grow(parent);
      if (parent8) parent8 = grow(parent8);
      pixels = grow(pixels);
      sums = grow(sums);
    }
    parent[next] = next;
    if (parent8) parent8[next] = next;
    return next++;
  };
  const findIn = (p: Int32Array, a: number): number => {
    let r = a;
    while (p[r] !== r) r = p[r];
    while (p[a] !== r) {
      const n = p[a];
      p[a] = r;
      a = n;
    }
    return r;
  };
  const unionIn = (p: Int32Array, a: number, b: number): number => {
    const ra = findIn(p, a);
    const rb = findIn(p, b);
    if (ra === rb) return ra;
    if (ra < rb) {
      p[rb] = ra;
      return ra;
    }
    p[ra] = rb;
    return rb;
  };

  let prev = new Int32Array(width);
  let cur = new Int32Array(width);
  // Where the pass is: row y, whether it is labelled, and the next top edge to look at on it (byte, bit).
  let y = 0;
  let labelled = false;
  let scanB = 0;
  let scanK = 0;
  let ready = 0;
  // Rings in the order they are emitted, with the provisional label of their witness pixel.
  const rings: PixelRing[] = [];
  const ringLabel: number[] = [];
  /** Witness pixels below the row being traced: row → [x, ring index, ...]. */
  const witnesses = new Map<number, number[]>();
  /** East edges already traced, on rows the pass has not reached: row → x list. */
  const tracedEast = new Map<number, number[]>();
  let tracedOnRow = new Set<number>();
  const junctions = new Set<number>();
  const turnOrder = [1, 0, 3]; // right, straight, left

  const emit = (ring: PixelRing): void => {
    if (ring.length < 8) return; // fewer than 4 vertices: cannot enclose area
    if (ringPixelArea(ring) === 0) return;
    const x0 = ring[0], y0 = ring[1], x1 = ring[2], y1 = ring[3];
    const d = x1 > x0 ? 0 : y1 > y0 ? 1 : x1 < x0 ? 2 : 3;
    // the water pixel on the right of the edge leaving (x0, y0) in direction d
    const px = d === 0 || d === 3 ? x0 : x0 - 1;
    const py = d === 0 || d === 1 ? y0 : y0 - 1;
    const index = rings.length;
    rings.push(ring);
    if (py === y) ringLabel.push(cur[px]);
    else if (py === y - 1) ringLabel.push(prev[px]);
    else if (py > y) {
      ringLabel.push(0);
      const list = witnesses.get(py);
      if (list) list.push(px, index);
      else witnesses.set(py, [px, index]);
    } else throw new Error(`mask tracing found a ring above the pass at (${x0}, ${y0})`);
  };

  /** Trace the ring from the east edge at (x, y0); false (nothing emitted) when it reaches a row not ready yet. */
  const trace = (x: number, y0: number): boolean => {
    const verts: number[] = [];
    let cx = x, cy = y0, d = 0;
    for (;;) {
      if (d === 0 && (cx !== x || cy !== y0)) {
        if (cy === y0) tracedOnRow.add(cx);
        else {
          const list = tracedEast.get(cy);
          if (list) list.push(cx);
          else tracedEast.set(cy, [cx]);
        }
      }
      cx += DX[d];
      cy += DY[d];
      if (cy >= ready && ready < height) return false;
      let nd = -1;
      let choices = 0;
      for (const t of turnOrder) {
        const cand = (d + t) % 4;
        if (hasEdge(cx, cy, cand)) {
          choices++;
          if (nd < 0) nd = cand;
        }
      }
      if (choices > 1) junctions.add(cy * W1 + cx);
      if (nd < 0) throw new Error(`mask tracing lost the boundary at (${cx}, ${cy})`);
      if (nd !== d) verts.push(cx, cy);
      d = nd;
      if (d === 0 && cx === x && cy === y0) break;
    }
    splitAtPinches(verts, W1, emit);
    return true;
  };

  const labelRow = (): void => {
    const swap = prev;
    prev = cur;
    cur = swap;
    // 1. label row y (4-connectivity), count pixels and sum values per label
    const values = options.valueRow?.(y);
    const row = y * stride;
    for (let b = 0; b < stride; b++) {
      const byte = bits[row + b];
      const x0 = b << 3;
      const n = Math.min(8, width - x0);
      if (byte === 0) {
        cur.fill(0, x0, x0 + n);
        continue;
      }
      for (let k = 0; k < n; k++) {
        const x = x0 + k;
        if (!((byte >> k) & 1)) {
          cur[x] = 0;
          continue;
        }
        let l = x > 0 ? cur[x - 1] : 0;
        if (y > 0) {
          const up = prev[x];
          if (up && up !== l) l = l ? unionIn(parent, l, up) : up;
        }
        if (!l) l = newLabel();
        cur[x] = l;
        pixels[l]++;
        if (values) sums[l] += values[x];
        if (parent8 && y > 0) {
          if (x > 0 && prev[x - 1] && prev[x - 1] !== l) unionIn(parent8, l, prev[x - 1]);
          if (x + 1 < width && prev[x + 1] && prev[x + 1] !== l) unionIn(parent8, l, prev[x + 1]);
        }
      }
    }
    // 2. witnesses on this row
    const due = witnesses.get(y);
    if (due) {
      for (let k = 0; k < due.length; k += 2) ringLabel[due[k + 1]] = cur[due[k]];
      witnesses.delete(y);
    }
    tracedOnRow = new Set(tracedEast.get(y));
    tracedEast.delete(y);
    labelled = true;
    scanB = 0;
    scanK = 0;
  };

  const advance = (rowsReady: number, maxRows = Infinity): TracerProgress => {
    ready = Math.min(height, Math.max(ready, rowsReady));
    let rows = 0;
    while (y < height) {
      if (!labelled) {
        if (y >= ready) return 'waiting';
        if (rows >= maxRows) return 'budget';
        labelRow();
        rows++;
      }
      // 3. trace the rings whose first east edge (top edge of a water pixel under non-water) is on this row
      const row = y * stride;
      const above = (y - 1) * stride;
      for (; scanB < stride; scanB++, scanK = 0) {
        const edges = bits[row + scanB] & ~(y > 0 ? bits[above + scanB] : 0) & 0xff;
        if (!edges) continue;
        for (; scanK < 8; scanK++) {
          if (!((edges >> scanK) & 1)) continue;
          const x = (scanB << 3) + scanK;
          if (tracedOnRow.has(x)) continue;
          if (!trace(x, y)) return 'waiting';
        }
      }
      y++;
      labelled = false;
    }
    return 'done';
  };

  const finish = (): TraceResult => {
    if (advance(height) !== 'done') throw new Error('mask tracing did not reach the last row');
    return assemble();
  };

  const assemble = (): TraceResult => {
    if (witnesses.size > 0) throw new Error('mask tracing left rings without a component');

    // Components numbered 1..count in raster-scan order of their first pixel = order of their root label.
    const compact = new Int32Array(next);
    const rootOf: number[] = [0];
    let count = 0;
    for (let l = 1; l < next; l++) {
      if (findIn(parent, l) === l) {
        compact[l] = ++count;
        rootOf.push(l);
      }
    }
    const pixelCount = new Float64Array(count + 1);
    const valueSum = new Float64Array(count + 1);
    for (let l = 1; l < next; l++) {
      const c = compact[findIn(parent, l)];
      pixelCount[c] += pixels[l];
      valueSum[c] += sums[l];
    }
    const shells = new Map<number, PixelRing[]>();
    const holes: { component: number; ring: PixelRing }[] = [];
    for (let i = 0; i < rings.length; i++) {
      const component = compact[findIn(parent, ringLabel[i])];
      const ring = rings[i];
      if (ringPixelArea(ring) > 0) {
        const list = shells.get(component);
        if (list) list.push(ring);
        else shells.set(component, [ring]);
      } else holes.push({ component, ring });
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
    if (!parent8) return { polygons: polygons4, junctions, width, height };
    // 8-connectivity: 4-connected components touching diagonally become the parts of one MultiPolygon
    const p8 = parent8;
    for (let l = 1; l < next; l++) unionIn(p8, l, findIn(parent, l));
    const groups = new Map<number, PixelPolygon>();
    const polygons: PixelPolygon[] = [];
    for (const p of polygons4) {
      const root = findIn(p8, rootOf[p.component]);
      const g = groups.get(root);
      if (g) {
        g.parts.push(...p.parts);
        g.pixelCount += p.pixelCount;
        g.valueSum += p.valueSum;
      } else {
        const first: PixelPolygon = { component: polygons.length + 1, parts: [...p.parts], pixelCount: p.pixelCount, valueSum: p.valueSum };
        groups.set(root, first);
        polygons.push(first);
      }
    }
    return { polygons, junctions, width, height };
  };

  return {
    advance,
    finish,
    get rowsDone() {
      return y;
    },
  };
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
