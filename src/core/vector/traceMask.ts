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
 * bit per pixel, read in blocks of rows (MaskRows: all in memory, or a few blocks of a disk-backed mask), two
 * rows of labelled runs, one union-find entry per provisional label and the traced rings — no per-pixel labels
 * or flags, so a scene-size mask costs at most width × height / 8 bytes. Time: labelling works on
 * runs of water pixels (one label per run, not per pixel) and the tracer takes each step from one table lookup
 * of the four pixels around a vertex.
 */

import type { Connectivity } from '../masks/connectedComponents.ts';
import { BitMask } from '../masks/bitMask.ts';
import type { MaskRows } from '../masks/maskRows.ts';

export type { Connectivity };

/**
 * A ring as flat [x0, y0, x1, y1, ...], not closed (the first vertex is not repeated), in an Int32Array of
 * exactly its vertices: 8 bytes per vertex outside the JS heap (a number array took 16 and more, and the rings
 * of polygons still open, promoted to the old generation, were most of what the garbage collector let grow).
 */
export type PixelRing = Int32Array;

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

/**
 * The tracer's step at a vertex, by arriving direction d and the four pixels around the vertex (bit 0: up-left,
 * 1: up-right, 2: down-left, 3: down-right): TURN[d << 4 | pixels] = 1 + the direction to leave in (the first
 * boundary edge of right, straight, left; 0: none), plus 8 when more than one of them is a boundary edge (a
 * saddle vertex). A boundary edge keeps water on its right (y down), as the rings run.
 */
const TURN = (() => {
  const t = new Uint8Array(64);
  for (let d = 0; d < 4; d++) {
    for (let p = 0; p < 16; p++) {
      const nw = p & 1, ne = (p >> 1) & 1, sw = (p >> 2) & 1, se = (p >> 3) & 1;
      // the edge leaving the vertex in direction e, with water on its right
      const edgeAt = (e: number): boolean => (e === 0 ? se === 1 && ne === 0 : e === 1 ? sw === 1 && se === 0 : e === 2 ? nw === 1 && sw === 0 : ne === 1 && nw === 0);
      let next = -1;
      let choices = 0;
      for (const turn of [1, 0, 3]) { // right, straight, left
        const e = (d + turn) % 4;
        if (edgeAt(e)) {
          choices++;
          if (next < 0) next = e;
        }
      }
      t[(d << 4) | p] = next + 1 + (choices > 1 ? 8 : 0);
    }
  }
  return t;
})();

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
  /**
   * Stream the polygons: each is handed over as soon as the pass has left its last row (so memory holds only
   * the polygons still open), in closing order, not id order: `order` ranks it among all polygons (its
   * `component` is 0; number them 1, 2, ... by ascending `order` to get traceBitMask's ids). `finish()` then
   * returns no polygons. Rings may still touch `junctions` of polygons not closed yet: read them when handed over.
   */
  onPolygon?: (polygon: PixelPolygon, order: number) => void;
}

/**
 * The same tracing over a one-bit mask, in one pass over the rows: components are labelled with two rows
 * of runs (a provisional label per run) and a union-find (pixel counts and value sums per label), rings are traced from
 * their first east edge as the pass reaches it, and each ring's component is taken from its witness pixel
 * (the water pixel right of its first edge) once the pass has labelled that pixel. Besides the mask,
 * memory grows with the number of provisional labels and boundary edges, never with the scene area.
 * Output is identical to labelling the whole mask first (ids, rings, vertex order).
 */
export function traceBitMask(mask: MaskRows, options: TraceRowsOptions = {}): TraceResult {
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
  /** Saddle vertex keys found so far (see TraceResult.junctions). */
  readonly junctions: ReadonlySet<number>;
  finish(): TraceResult;
}

export function createMaskTracer(mask: MaskRows, options: TraceRowsOptions = {}): MaskTracer {
  const connectivity = options.connectivity ?? 4;
  const { width, height, stride, blockRows } = mask;
  const W1 = width + 1;
  // The mask is read a row at a time from its blocks (MaskRows): rowBits(y) is the array holding row y, which
  // starts at byte `rowAt` of it; a row outside the mask reads as the empty row. The last block asked for (rows
  // [aY0, aY1)) is used again without asking (any other is asked for, so the blocks in use stay the mask's last
  // two, which it keeps valid), within one call of `advance` (forgetBlocks at its start: rows written in between
  // may change a block's array); callers hold at most two rows, asked for again after anything else may have
  // asked for other blocks.
  const emptyRow: Uint8Array = new Uint8Array(stride);
  let rowAt = 0;
  let aY0 = 0, aY1 = 0, aBits = emptyRow;
  const forgetBlocks = (): void => {
    aY0 = aY1 = 0;
    aBits = emptyRow;
  };
  const rowBits = (y: number): Uint8Array => {
    if (y >= aY0 && y < aY1) {
      rowAt = (y - aY0) * stride;
      return aBits;
    }
    if (y < 0 || y >= height) {
      rowAt = 0;
      return emptyRow;
    }
    const b = Math.floor(y / blockRows);
    aY0 = b * blockRows;
    aY1 = Math.min(height, aY0 + blockRows);
    aBits = mask.block(b);
    rowAt = (y - aY0) * stride;
    return aBits;
  };
  /** Pixel x of a row (rowBits, from byte `at`) as 0/1 (0 outside the mask). */
  const bitAt = (row: Uint8Array, at: number, x: number): number => (x >= 0 && x < width ? (row[at + (x >> 3)] >> (x & 7)) & 1 : 0);

  // Provisional labels: union-find (the smaller label is the root), pixel count and value sum per label.
  // With 8-connectivity, parent8 joins labels 4- and diagonally connected (the polygon a component belongs
  // to); `members` lists the labels of each polygon root (of parent8, else parent), so a closed polygon is
  // assembled from its own labels.
  let parent = new Int32Array(1024);
  let parent8 = connectivity === 8 ? new Int32Array(1024) : null;
  let pixels = new Float64Array(1024);
  let sums = new Float64Array(1024);
  let memberNext = new Int32Array(1024);
  let memberTail = new Int32Array(1024);
  let seen = new Int32Array(1024);
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
      memberNext = grow(memberNext);
      memberTail = grow(memberTail);
      seen = grow(seen);
    }
    parent[next] = next;
    if (parent8) parent8[next] = next;
    memberNext[next] = 0;
    memberTail[next] = next;
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

  const polygonRoot = (l: number): number => findIn(parent8 ?? parent, l);
  /** Join two labels in the polygon union-find (parent8, else parent), concatenating their member lists. */
  const unionPolygon = (a: number, b: number): void => {
    const p = parent8 ?? parent;
    const ra = findIn(p, a);
    const rb = findIn(p, b);
    if (ra === rb) return;
    const [root, other] = ra < rb ? [ra, rb] : [rb, ra];
    p[other] = root;
    memberNext[memberTail[root]] = other;
    memberTail[root] = memberTail[other];
  };
  /** 4-connected union (parent), also joined in parent8 with 8-connectivity. */
  const union4 = (a: number, b: number): number => {
    if (parent8) unionPolygon(a, b);
    const ra = findIn(parent, a);
    const rb = findIn(parent, b);
    if (ra === rb) return ra;
    if (!parent8) {
      unionPolygon(ra, rb);
      return findIn(parent, ra);
    }
    return unionIn(parent, ra, rb);
  };

  // Rows y - 1 and y as runs of water pixels: [x0, x1 (exclusive), label] triples in x order, one label per run.
  const RUN_CAP = 3 * ((width + 2) >> 1);
  let prev = new Int32Array(RUN_CAP);
  let cur = new Int32Array(RUN_CAP);
  let prevRuns = 0;
  let curRuns = 0;
  /** The label of pixel x in a row of runs (0 when x is not water). */
  const labelAt = (runs: Int32Array, count: number, x: number): number => {
    let lo = 0, hi = count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = mid * 3;
      if (x < runs[m]) hi = mid - 1;
      else if (x >= runs[m + 1]) lo = mid + 1;
      else return runs[m + 2];
    }
    return 0;
  };
  // Where the pass is: row y, whether it is labelled, and the next top edge to look at on it (byte, bit).
  let y = 0;
  let labelled = false;
  let scanB = 0;
  let scanK = 0;
  let ready = 0;
  // Rings of open polygons by the provisional label of their witness pixel, with their emission index (the
  // order of the whole-mask assembly); rings whose witness is on a row not labelled yet wait in `unlabelled`.
  let ringCount = 0;
  const ringsOf = new Map<number, { index: number; ring: PixelRing }[]>();
  const unlabelled = new Map<number, PixelRing>();
  const addRing = (label: number, index: number, ring: PixelRing): void => {
    const list = ringsOf.get(label);
    if (list) list.push({ index, ring });
    else ringsOf.set(label, [{ index, ring }]);
  };
  /** Witness pixels below the row being traced: row → [x, ring index, ...]. */
  const witnesses = new Map<number, number[]>();
  /** East edges already traced, on rows the pass has not reached: row → [x0, x1) ranges, flat. */
  const tracedEast = new Map<number, number[]>();
  /** East edges already traced on the row being traced, one bit per x (as the mask's rows). */
  const tracedOnRow = new Uint8Array(stride);
  const junctions = new Set<number>();

  const emit = (ring: PixelRing): void => {
    if (ring.length < 8) return; // fewer than 4 vertices: cannot enclose area
    if (ringPixelArea(ring) === 0) return;
    const x0 = ring[0], y0 = ring[1], x1 = ring[2], y1 = ring[3];
    const d = x1 > x0 ? 0 : y1 > y0 ? 1 : x1 < x0 ? 2 : 3;
    // the water pixel on the right of the edge leaving (x0, y0) in direction d
    const px = d === 0 || d === 3 ? x0 : x0 - 1;
    const py = d === 0 || d === 1 ? y0 : y0 - 1;
    const index = ringCount++;
    if (py === y) addRing(labelAt(cur, curRuns, px), index, ring);
    else if (py === y - 1) addRing(labelAt(prev, prevRuns, px), index, ring);
    else if (py > y) {
      unlabelled.set(index, ring);
      const list = witnesses.get(py);
      if (list) list.push(px, index);
      else witnesses.set(py, [px, index]);
    } else throw new Error(`mask tracing found a ring above the pass at (${x0}, ${y0})`);
  };

  /** The vertices of the ring being traced (reused from ring to ring, grown as needed). */
  let walk = new Int32Array(1024);
  /** Trace the ring from the east edge at (x, y0); false (nothing emitted) when it reaches a row not ready yet. */
  const trace = (x: number, y0: number): boolean => {
    let nv = 0; // walk[0, nv): the vertices so far
    let cx = x, cy = y0, d = 0;
    // east edges walked in a row on a later row, kept as one [x0, x1) range (tracedEast)
    let runRow = -1, runX0 = 0, runX1 = 0;
    const flushRun = (): void => {
      if (runRow < 0) return;
      const list = tracedEast.get(runRow);
      if (list) list.push(runX0, runX1);
      else tracedEast.set(runRow, [runX0, runX1]);
      runRow = -1;
    };
    let saddles = false;
    // rows cy - 1 and cy, as rowBits gave them, for vertex row `rowsOf`
    let rowsOf = -1;
    let up: Uint8Array = emptyRow, upAt = 0, down: Uint8Array = emptyRow, downAt = 0;
    for (;;) {
      if (d === 0 && (cx !== x || cy !== y0)) {
        if (cy === y0) tracedOnRow[cx >> 3] |= 1 << (cx & 7);
        else if (cy === runRow && cx === runX1) runX1++;
        else {
          flushRun();
          runRow = cy;
          runX0 = cx;
          runX1 = cx + 1;
        }
      }
      cx += DX[d];
      cy += DY[d];
      if (cy >= ready && ready < height) {
        flushRun();
        return false;
      }
      if (cy !== rowsOf) {
        rowsOf = cy;
        up = rowBits(cy - 1);
        upAt = rowAt;
        down = rowBits(cy);
        downAt = rowAt;
      }
      const step = TURN[(d << 4) | bitAt(up, upAt, cx - 1) | (bitAt(up, upAt, cx) << 1) | (bitAt(down, downAt, cx - 1) << 2) | (bitAt(down, downAt, cx) << 3)];
      const nd = step & 7 ? (step & 7) - 1 : -1;
      if (step & 8) {
        junctions.add(cy * W1 + cx);
        saddles = true;
      }
      if (nd < 0) throw new Error(`mask tracing lost the boundary at (${cx}, ${cy})`);
      if (nd !== d) {
        if (nv + 2 > walk.length) {
          const grown = new Int32Array(walk.length * 2);
          grown.set(walk);
          walk = grown;
        }
        walk[nv++] = cx;
        walk[nv++] = cy;
      }
      d = nd;
      if (d === 0 && cx === x && cy === y0) break;
    }
    flushRun();
    // only a saddle vertex can be passed twice: a ring through none is already simple
    if (saddles) splitAtPinches(walk, nv, W1, junctions, emit);
    else if (nv >= 8) emit(walk.slice(0, nv));
    return true;
  };

  const labelRow = (): void => {
    const swap = prev;
    prev = cur;
    cur = swap;
    prevRuns = curRuns;
    curRuns = 0;
    // 1. the runs of water pixels of row y, each labelled from the runs of row y - 1 it touches (4-connected:
    // overlapping; 8-connected polygons also join runs touching diagonally), pixel counts and value sums per label
    const values = options.valueRow?.(y);
    const bits = rowBits(y);
    const row = rowAt;
    let runStart = -1;
    let j = 0; // first run of row y - 1 that may touch the next run
    const closeRun = (x0: number, x1: number): void => {
      let l = 0;
      while (j < prevRuns && prev[j * 3 + 1] < x0) j++; // runs ending left of x0 - 1 touch nothing from here on
      for (let k = j; k < prevRuns; k++) {
        const a = prev[k * 3], b = prev[k * 3 + 1];
        if (a > x1) break;
        const up = prev[k * 3 + 2];
        if (a < x1 && b > x0 && up !== l) l = l ? union4(l, up) : up;
      }
      if (!l) l = newLabel();
      if (parent8) {
        // runs touching this one only at a corner (diagonal neighbours)
        for (let k = j; k < prevRuns; k++) {
          const a = prev[k * 3], b = prev[k * 3 + 1];
          if (a > x1) break;
          if (b === x0 || a === x1) unionPolygon(l, prev[k * 3 + 2]);
        }
      }
      const c = curRuns * 3;
      cur[c] = x0;
      cur[c + 1] = x1;
      cur[c + 2] = l;
      curRuns++;
      pixels[l] += x1 - x0;
      if (values) for (let x = x0; x < x1; x++) sums[l] += values[x];
    };
    for (let b = 0; b < stride; b++) {
      const byte = bits[row + b];
      if (runStart < 0 ? byte === 0 : byte === 0xff) continue;
      const x0 = b << 3;
      const n = Math.min(8, width - x0);
      for (let k = 0; k < n; k++) {
        const on = (byte >> k) & 1;
        if (on && runStart < 0) runStart = x0 + k;
        else if (!on && runStart >= 0) {
          closeRun(runStart, x0 + k);
          runStart = -1;
        }
      }
    }
    if (runStart >= 0) closeRun(runStart, width);
    // 2. witnesses on this row
    const due = witnesses.get(y);
    if (due) {
      for (let k = 0; k < due.length; k += 2) {
        const index = due[k + 1];
        addRing(labelAt(cur, curRuns, due[k]), index, unlabelled.get(index)!);
        unlabelled.delete(index);
      }
      witnesses.delete(y);
    }
    tracedOnRow.fill(0);
    const traced = tracedEast.get(y);
    if (traced) {
      for (let k = 0; k < traced.length; k += 2) for (let x = traced[k]; x < traced[k + 1]; x++) tracedOnRow[x >> 3] |= 1 << (x & 7);
    }
    tracedEast.delete(y);
    labelled = true;
    scanB = 0;
    scanK = 0;
    // 3. polygons on row y - 1 and not on row y are closed: every ring of theirs is traced (rings start on
    // their own rows, each traced whole) and labelled (witnesses are their own pixels)
    const stamp = y + 1;
    for (let k = 0; k < curRuns; k++) seen[polygonRoot(cur[k * 3 + 2])] = stamp;
    if (y === 0) return;
    const closed: number[] = [];
    for (let k = 0; k < prevRuns; k++) {
      const r = polygonRoot(prev[k * 3 + 2]);
      if (seen[r] !== stamp) {
        seen[r] = stamp;
        closed.push(r);
      }
    }
    closed.sort((a, b) => a - b);
    for (const r of closed) closePolygon(r);
  };

  // Polygons as the whole-mask assembly built them, with their order (the smallest root label of their
  // 4-connected components that have a shell), handed to onPolygon or kept for finish().
  const kept: { polygon: PixelPolygon; order: number }[] = [];
  const deliver = options.onPolygon ?? ((polygon: PixelPolygon, order: number) => void kept.push({ polygon, order }));
  const closePolygon = (root: number): void => {
    // 4-connected components of this polygon, in raster-scan order of their first pixel (= root label)
    const components = new Map<number, { pixelCount: number; valueSum: number; rings: { index: number; ring: PixelRing }[] }>();
    for (let m = root; m; m = memberNext[m]) {
      const c = findIn(parent, m);
      let comp = components.get(c);
      if (!comp) components.set(c, (comp = { pixelCount: 0, valueSum: 0, rings: [] }));
      comp.pixelCount += pixels[m];
      comp.valueSum += sums[m];
      const own = ringsOf.get(m);
      if (own) {
        for (const r of own) comp.rings.push(r);
        ringsOf.delete(m);
      }
    }
    let polygon: PixelPolygon | null = null;
    let order = 0;
    for (const c of [...components.keys()].sort((a, b) => a - b)) {
      const comp = components.get(c)!;
      comp.rings.sort((a, b) => a.index - b.index);
      const parts: PixelRing[][] = [];
      for (const { ring } of comp.rings) if (ringPixelArea(ring) > 0) parts.push([ring]);
      if (parts.length === 0) continue;
      for (const { ring } of comp.rings) {
        if (ringPixelArea(ring) > 0) continue;
        const part = parts.length === 1 ? parts[0] : parts.find((pt) => ringContainsRing(pt[0], ring)) ?? parts[0];
        part.push(ring);
      }
      if (!polygon) {
        polygon = { component: 0, parts, pixelCount: comp.pixelCount, valueSum: comp.valueSum };
        order = c;
      } else {
        polygon.parts.push(...parts);
        polygon.pixelCount += comp.pixelCount;
        polygon.valueSum += comp.valueSum;
      }
    }
    if (polygon) deliver(polygon, order);
  };

  const advance = (rowsReady: number, maxRows = Infinity): TracerProgress => {
    forgetBlocks();
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
      // (rows y - 1 and y asked for again after each ring: tracing it may have asked for other blocks)
      let above = rowBits(y - 1);
      let aboveAt = rowAt;
      let bits = rowBits(y);
      let row = rowAt;
      for (; scanB < stride; scanB++, scanK = 0) {
        const edges = bits[row + scanB] & ~above[aboveAt + scanB] & 0xff;
        if (!edges) continue;
        for (; scanK < 8; scanK++) {
          if (!((edges >> scanK) & 1)) continue;
          const x = (scanB << 3) + scanK;
          if ((tracedOnRow[scanB] >> scanK) & 1) continue;
          if (!trace(x, y)) return 'waiting';
          above = rowBits(y - 1);
          aboveAt = rowAt;
          bits = rowBits(y);
          row = rowAt;
        }
      }
      y++;
      labelled = false;
    }
    return 'done';
  };

  const finish = (): TraceResult => {
    if (advance(height) !== 'done') throw new Error('mask tracing did not reach the last row');
    if (witnesses.size > 0 || unlabelled.size > 0) throw new Error('mask tracing left rings without a component');
    // the polygons on the last row close with it
    const open = new Set<number>();
    if (height > 0) for (let k = 0; k < curRuns; k++) open.add(polygonRoot(cur[k * 3 + 2]));
    for (const r of [...open].sort((a, b) => a - b)) closePolygon(r);
    kept.sort((a, b) => a.order - b.order);
    const polygons = kept.map(({ polygon }, i) => ({ ...polygon, component: i + 1 }));
    kept.length = 0;
    return { polygons, junctions, width, height };
  };

  return {
    advance,
    finish,
    get rowsDone() {
      return y;
    },
    junctions,
  };
}

/**
 * Split a closed vertex list at repeated vertices into simple rings. Only a saddle vertex (`saddles`: vertex
 * keys) can be passed twice, so only those are looked up: a long ring through a few saddles costs no map of
 * all its vertices.
 */
function splitAtPinches(verts: Int32Array, count: number, W1: number, saddles: ReadonlySet<number>, emit: (ring: PixelRing) => void): void {
  // stack[0, top): the vertices not emitted yet
  const stack = new Int32Array(count);
  let top = 0;
  const where = new Map<number, number>();
  const n = count / 2;
  for (let k = 0; k < n; k++) {
    const x = verts[2 * k], y = verts[2 * k + 1];
    const key = y * W1 + x;
    if (!saddles.has(key)) {
      stack[top++] = x;
      stack[top++] = y;
      continue;
    }
    const at = where.get(key);
    if (at !== undefined) {
      const sub = stack.slice(at * 2, top);
      for (let j = at + 1; j < top / 2; j++) where.delete(stack[2 * j + 1] * W1 + stack[2 * j]);
      top = (at + 1) * 2;
      emit(sub);
    } else {
      where.set(key, top / 2);
      stack[top++] = x;
      stack[top++] = y;
    }
  }
  emit(stack.slice(0, top));
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
