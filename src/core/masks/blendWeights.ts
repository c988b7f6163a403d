/**
 * Feathering weights for blending overlapping tiles: a linear ramp over the overlap at every tile edge,
 * so that where two tiles overlap the one whose centre is nearer dominates and the transition is smooth
 * (no seam at the tile boundary). Weights are always > 0, so a pixel covered by a single tile (scene
 * edges) keeps that tile's value after normalisation by the weight sum.
 */

/** 1-D ramp for a tile of `size` px blended over `overlap` px: 1/(overlap+1) at the edge up to 1. */
export function rampWeights(size: number, overlap: number): Float32Array {
  const w = new Float32Array(size);
  const steps = Math.max(0, Math.floor(overlap)) + 1;
  for (let i = 0; i < size; i++) {
    const fromEdge = Math.min(i + 1, size - i);
    w[i] = Math.min(1, fromEdge / steps);
  }
  return w;
}

/** Separable 2-D weight `wx[col] * wy[row]` for a square tile, row-major. */
export function tileBlendWeights(size: number, overlap: number): Float32Array {
  const ramp = rampWeights(size, overlap);
  const out = new Float32Array(size * size);
  for (let r = 0; r < size; r++) {
    const wy = ramp[r];
    for (let c = 0; c < size; c++) out[r * size + c] = wy * ramp[c];
  }
  return out;
}
