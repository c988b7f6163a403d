/**
 * Bilinear resampling of a float raster, as Pillow's `Image.resize(..., BILINEAR)` does it: a triangle
 * filter on pixel centres, widened by the scale factor when reducing (so reductions are antialiased),
 * weights renormalised at the borders. big_vision pastes decoded masks with exactly this (PIL), and
 * the encoder's "bilinear, antialiased" resize to 64x64 is the same filter.
 */

interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** Row-major [out][maxCount]. */
  weights: Float64Array;
  maxCount: number;
}

function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const maxCount = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxCount);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const w = Math.max(0, 1 - Math.abs((i - center + 0.5) / filterScale));
      weights[o * maxCount + (i - lo)] = w;
      total += w;
    }
    for (let i = lo; i < hi; i++) weights[o * maxCount + (i - lo)] /= total || 1;
    start[o] = lo;
    count[o] = hi - lo;
  }
  return { start, count, weights, maxCount };
}

/** Resize a `sw` x `sh` row-major raster to `dw` x `dh`. */
export function resizeBilinear(src: ArrayLike<number>, sw: number, sh: number, dw: number, dh: number): Float32Array {
  if (src.length !== sw * sh) throw new RangeError(`resizeBilinear: ${src.length} values for ${sw}x${sh}`);
  if (dw <= 0 || dh <= 0) return new Float32Array(0);
  const wx = axisWeights(sw, dw);
  const wy = axisWeights(sh, dh);
  // Horizontal pass: sh rows of dw.
  const tmp = new Float64Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    for (let o = 0; o < dw; o++) {
      const s = wx.start[o];
      let acc = 0;
      for (let k = 0; k < wx.count[o]; k++) acc += src[y * sw + s + k] * wx.weights[o * wx.maxCount + k];
      tmp[y * dw + o] = acc;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let o = 0; o < dh; o++) {
    const s = wy.start[o];
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = 0; k < wy.count[o]; k++) acc += tmp[(s + k) * dw + x] * wy.weights[o * wy.maxCount + k];
      out[o * dw + x] = acc;
    }
  }
  return out;
}
