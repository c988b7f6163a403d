/**
 * Per-tile water probabilities are stored quantized to one byte per pixel, the stitcher's convention:
 * 0..254 = p·254, 255 = no data (NaN). That keeps the job database 4x smaller than Float32 with an error
 * (≤ 1/508) far below any threshold step, and keeps nodata pixels out of the blend after a resume.
 */
export const NO_DATA_BYTE = 255;
const SCALE = 254;

export function quantizeProbability(probability: Float32Array): Uint8Array {
  const out = new Uint8Array(probability.length);
  for (let i = 0; i < probability.length; i++) {
    const p = probability[i];
    // Clamp explicitly: Uint8Array assignment would wrap instead.
    out[i] = Number.isNaN(p) ? NO_DATA_BYTE : p > 0 ? (p < 1 ? Math.round(p * SCALE) : SCALE) : 0;
  }
  return out;
}

export function dequantizeProbability(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] === NO_DATA_BYTE ? Number.NaN : bytes[i] / SCALE;
  return out;
}
