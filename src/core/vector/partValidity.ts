/**
 * Is a simplified polygon part (shell + holes, pixel coordinates) still valid? Used to reject a
 * simplification that made edges cross: the traced input is valid by construction, and simplification
 * only drops vertices, so rings may only meet at vertices they shared before (the pinned junctions).
 *
 * Invalid when: a ring has fewer than 3 distinct vertices or its orientation flipped (shell must stay
 * positive, holes negative), two segments cross or overlap or one touches another's interior, or a hole's
 * interior is no longer inside the shell. Segments are swept by x so the check is ~O(n log n).
 */
import type { PixelRing } from './traceMask.ts';
import { pointInRing, ringPixelArea } from './traceMask.ts';

interface Seg {
  ax: number;
  ay: number;
  bx: number;
  by: number;
  minX: number;
  maxX: number;
}

const orient = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number =>
  Math.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax));

const onSegment = (ax: number, ay: number, bx: number, by: number, px: number, py: number): boolean =>
  Math.min(ax, bx) <= px && px <= Math.max(ax, bx) && Math.min(ay, by) <= py && py <= Math.max(ay, by);

function badPair(s: Seg, t: Seg): boolean {
  const o1 = orient(s.ax, s.ay, s.bx, s.by, t.ax, t.ay);
  const o2 = orient(s.ax, s.ay, s.bx, s.by, t.bx, t.by);
  const o3 = orient(t.ax, t.ay, t.bx, t.by, s.ax, s.ay);
  const o4 = orient(t.ax, t.ay, t.bx, t.by, s.bx, s.by);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true; // proper crossing
  // collinear overlap of more than a point
  if (o1 === 0 && o2 === 0) {
    const proj = (x: number, y: number) => (s.bx - s.ax) * (x - s.ax) + (s.by - s.ay) * (y - s.ay);
    const len = proj(s.bx, s.by);
    const t0 = proj(t.ax, t.ay), t1 = proj(t.bx, t.by);
    const lo = Math.max(0, Math.min(t0, t1)), hi = Math.min(len, Math.max(t0, t1));
    if (hi > lo) return true;
  }
  // an endpoint touching the other segment anywhere but at a shared endpoint
  const shared = (px: number, py: number, q: Seg) => (px === q.ax && py === q.ay) || (px === q.bx && py === q.by);
  const touches = (px: number, py: number, o: number, q: Seg) => o === 0 && onSegment(q.ax, q.ay, q.bx, q.by, px, py) && !shared(px, py, q);
  return touches(t.ax, t.ay, o1, s) || touches(t.bx, t.by, o2, s) || touches(s.ax, s.ay, o3, t) || touches(s.bx, s.by, o4, t);
}

export function partIsValid(rings: PixelRing[]): boolean {
  const segs: Seg[] = [];
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r];
    const n = ring.length / 2;
    if (n < 3) return false;
    const area = ringPixelArea(ring);
    if (r === 0 ? area <= 0 : area >= 0) return false;
    for (let k = 0; k < n; k++) {
      const j = (k + 1) % n;
      const ax = ring[2 * k], ay = ring[2 * k + 1], bx = ring[2 * j], by = ring[2 * j + 1];
      if (ax === bx && ay === by) return false;
      segs.push({ ax, ay, bx, by, minX: Math.min(ax, bx), maxX: Math.max(ax, bx) });
    }
  }
  segs.sort((a, b) => a.minX - b.minX);
  const active: Seg[] = [];
  for (const s of segs) {
    for (let i = active.length - 1; i >= 0; i--) if (active[i].maxX < s.minX) active.splice(i, 1);
    for (const t of active) {
      if (Math.max(Math.min(s.ay, s.by), Math.min(t.ay, t.by)) > Math.min(Math.max(s.ay, s.by), Math.max(t.ay, t.by))) continue;
      if (badPair(s, t)) return false;
    }
    active.push(s);
  }
  // holes still inside the shell: test a point just inside the hole's first edge (on the water side)
  for (let h = 1; h < rings.length; h++) {
    const ring = rings[h];
    const ax = ring[0], ay = ring[1], bx = ring[2], by = ring[3];
    const len = Math.hypot(bx - ax, by - ay);
    // water is on the right of the edge direction (y down): right normal of (dx, dy) is (-dy, dx)
    const px = (ax + bx) / 2 - ((by - ay) / len) * 1e-3;
    const py = (ay + by) / 2 + ((bx - ax) / len) * 1e-3;
    if (!pointInRing(rings[0], px, py)) return false;
  }
  return true;
}
