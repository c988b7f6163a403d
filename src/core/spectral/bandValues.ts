/**
 * Raw band samples → the values a water index is computed from: GDAL scale/offset applied (so integer reflectance,
 * DN and float bands all work), and NaN where the pixel is invalid, equals the band's nodata value, or is saturated
 * (the largest value of an integer type: clipped, so its ratio to another band means nothing).
 */
import type { SampleArray } from '../rasterWindow.ts';
import type { BandInfo, SampleType } from '../scene.ts';

const SATURATED: Partial<Record<SampleType, number>> = {
  Byte: 255, Int8: 127, UInt16: 65535, Int16: 32767, UInt32: 4294967295, Int32: 2147483647,
};

export function saturationValue(type: SampleType): number | null {
  return SATURATED[type] ?? null;
}

/**
 * `samples` (a window of `width`×`height`) into `out` (a `outWidth`-wide plane) at (offsetX, offsetY); pixels of
 * `out` outside the window are left as they are (callers fill with NaN).
 */
export function spectralPlane(
  samples: SampleArray,
  valid: Uint8Array,
  band: Pick<BandInfo, 'type' | 'noDataValue' | 'scale' | 'offset'>,
  width: number,
  height: number,
  out: Float32Array,
  outWidth: number,
  offsetX = 0,
  offsetY = 0,
): Float32Array {
  const saturated = saturationValue(band.type);
  const nodata = band.noDataValue;
  const { scale, offset } = band;
  for (let y = 0; y < height; y++) {
    const s0 = y * width;
    const d0 = (y + offsetY) * outWidth + offsetX;
    for (let x = 0; x < width; x++) {
      const v = samples[s0 + x];
      out[d0 + x] = !valid[s0 + x] || v === nodata || v === saturated || Number.isNaN(v) ? Number.NaN : v * scale + offset;
    }
  }
  return out;
}
