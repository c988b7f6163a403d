/**
 * Douglas–Peucker simplification of traced rings (pixel units) that keeps junction vertices fixed:
 * vertices where rings touch (saddles of the mask) are anchors, so neighbouring rings keep meeting at the
 * same points and no gap opens between a shell and a hole that touch. Each chain between anchors is
 * simplified on its own; a ring that would collapse (fewer than 4 vertices) is kept as it was.
 */
import type { PixelRing } from './traceMask.ts';

export function simplifyRing(ring: PixelRing, tolerance: number, isAnchor: (x: number, y: number) => boolean): PixelRing {
  const n = ring.length / 2;
  if (tolerance <= 0 || n <= 4) return ring;
  const anchors: number[] = [];
  for (let k = 0; k < n; k++) if (isAnchor(ring[2 * k], ring[2 * k + 1])) anchors.push(k);
  if (anchors.length === 0) {
    // anchor the first vertex and the one farthest from it
    let far = 0;
    let best = -1;
    for (let k = 1; k < n; k++) {
      const d = (ring[2 * k] - ring[0]) ** 2 + (ring[2 * k + 1] - ring[1]) ** 2;
      if (d > best) {
        best = d;
        far = k;
      }
    }
    anchors.push(0, far);
  } else if (anchors.length === 1) {
    anchors.push((anchors[0] + Math.floor(n / 2)) % n);
    anchors.sort((a, b) => a - b);
  }
  const keep = new Uint8Array(n);
  const tol2 = tolerance * tolerance;
  for (let a = 0; a < anchors.length; a++) {
    const i0 = anchors[a];
    const i1 = a + 1 < anchors.length ? anchors[a + 1] : anchors[0] + n;
    keep[i0] = 1;
    douglasPeucker(ring, n, i0, i1, tol2, keep);
  }
  let kept = 0;
  for (let k = 0; k < n; k++) kept += keep[k];
  if (kept < 4) return ring;
  const out = new Int32Array(2 * kept);
  for (let k = 0, m = 0; k < n; k++) {
    if (!keep[k]) continue;
    out[m++] = ring[2 * k];
    out[m++] = ring[2 * k + 1];
  }
  return out;
}

function douglasPeucker(ring: PixelRing, n: number, i0: number, i1: number, tol2: number, keep: Uint8Array): void {
  const stack: [number, number][] = [[i0, i1]];
  while (stack.length) {
    const [s, e] = stack.pop()!;
    if (e - s < 2) continue;
    const ax = ring[2 * (s % n)], ay = ring[2 * (s % n) + 1];
    const bx = ring[2 * (e % n)], by = ring[2 * (e % n) + 1];
    const dx = bx - ax, dy = by - ay;
    const len2 = dx * dx + dy * dy;
    let worst = -1;
    let worstD = -1;
    for (let k = s + 1; k < e; k++) {
      const px = ring[2 * (k % n)], py = ring[2 * (k % n) + 1];
      let d2: number;
      if (len2 === 0) d2 = (px - ax) ** 2 + (py - ay) ** 2;
      else {
        const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
        d2 = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2;
      }
      if (d2 > worstD) {
        worstD = d2;
        worst = k;
      }
    }
    if (worstD > tol2) {
      keep[worst % n] = 1;
      stack.push([s, worst], [worst, e]);
    }
  }
}
