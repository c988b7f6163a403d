/**
 * Feathering weights for blending overlapping tiles: a linear ramp over the overlap at every tile edge,
 * so that where two tiles overlap the one whose centre is nearer dominates and the transition is smooth
 * (no seam at the tile boundary). Weights are always > 0, so a pixel covered by a single tile (scene
 * edges) keeps that tile's value after normalisation by the weight sum.
 *
 * The weights are integers (the ramp scaled by overlap+1): with integer (quantized) probabilities every
 * blend sum is an exact integer, so the stitched result does not depend on the order tiles arrive in.
 */

/** 1-D ramp for a tile of `size` px blended over `overlap` px: 1 at the edge up to overlap+1 (inclusive). */
export function rampWeights(size: number, overlap: number): Uint32Array {
  const w = new Uint32Array(size);
  const steps = Math.max(0, Math.floor(overlap)) + 1;
  for (let i = 0; i < size; i++) w[i] = Math.min(steps, i + 1, size - i);
  return w;
}

/** Separable 2-D weight `wx[col] * wy[row]` for a square tile, row-major (integers ≤ (overlap+1)²). */
export function tileBlendWeights(size: number, overlap: number): Uint32Array {
  const ramp = rampWeights(size, overlap);
  const out = new Uint32Array(size * size);
  for (let r = 0; r < size; r++) {
    const wy = ramp[r];
    for (let c = 0; c < size; c++) out[r * size + c] = wy * ramp[c];
  }
  return out;
}
