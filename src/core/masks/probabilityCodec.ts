/**
 * The one-byte probability encoding shared by the stitcher's scene-size output and the job store's
 * per-tile rows: 0..254 = round(p·254) (p = q / 254), 255 = no data (NaN). One byte per pixel keeps the
 * job database 4x smaller than Float32 with an error (≤ 1/508) far below any threshold step, and keeps
 * nodata pixels out of the blend after a resume.
 */

/** Quantized value meaning "no data" (no valid tile pixel covered it / NaN probability). */
export const PROBABILITY_NODATA = 255;
/** Quantization scale: q = round(p * PROBABILITY_SCALE). */
export const PROBABILITY_SCALE = 254;

/**
 * One probability → its byte (NaN → nodata; clamped to 0..1). The stitcher blends these bytes, so a tile
 * blended from its float output and the same tile reloaded from the store give the same scene.
 */
export function quantizeProbabilityValue(p: number): number {
  // Clamp explicitly: Uint8Array assignment would wrap instead.
  return Number.isNaN(p) ? PROBABILITY_NODATA : p > 0 ? (p < 1 ? Math.round(p * PROBABILITY_SCALE) : PROBABILITY_SCALE) : 0;
}

export function quantizeProbability(probability: Float32Array): Uint8Array {
  const out = new Uint8Array(probability.length);
  for (let i = 0; i < probability.length; i++) out[i] = quantizeProbabilityValue(probability[i]);
  return out;
}

export function dequantizeProbability(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] === PROBABILITY_NODATA ? Number.NaN : bytes[i] / PROBABILITY_SCALE;
  return out;
}
