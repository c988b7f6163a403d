/**
 * Put one raster on another's pixel grid by nearest-neighbour sampling — what `gdalwarp -r near` does.
 *
 * Every target pixel centre (col + 0.5, row + 0.5) is mapped by `toSource` (target pixel → target CRS →
 * source CRS → source pixel, composed by the caller) to continuous source pixel coordinates (u, v); the
 * value is the source pixel containing that point (floor(u), floor(v)), or `fill` when the point falls
 * outside the source. Values are never interpolated (they are codes: a quantized probability whose
 * nodata must stay nodata).
 *
 * Like GDAL's approximate transformer, `toSource` is evaluated exactly on a lattice every `step` pixels
 * and interpolated bilinearly inside each lattice cell; a cell whose interpolation misses the exact
 * mapping at its centre by more than `maxError` source pixels (0.125, GDAL's default) is mapped exactly,
 * pixel by pixel. Affine-only mappings (same CRS) are exact either way.
 */

/** Target pixel centre (x, y) → continuous source pixel coordinates [u, v] (NaN when it does not map). */
export type PixelMapping = (x: number, y: number) => readonly [number, number];

export interface SampledRaster {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ResampleOptions {
  /** Value for target pixels outside the source (default 255). */
  fill?: number;
  /** Lattice spacing in target pixels (default 16). */
  step?: number;
  /** Largest interpolation error in source pixels (default 0.125). */
  maxError?: number;
}

export function resampleNearest(source: SampledRaster, width: number, height: number, toSource: PixelMapping, options: ResampleOptions = {}): Uint8Array {
  const fill = options.fill ?? 255;
  const step = Math.max(1, Math.floor(options.step ?? 16));
  const maxError = options.maxError ?? 0.125;
  const out = new Uint8Array(width * height).fill(fill);
  const { data, width: sw, height: sh } = source;
  const put = (x: number, y: number, u: number, v: number): void => {
    if (u >= 0 && v >= 0 && u < sw && v < sh) out[y * width + x] = data[Math.floor(v) * sw + Math.floor(u)];
  };
  // lattice of pixel-centre positions: 0, step, 2·step, ..., and the last column/row
  const axis = (n: number): number[] => {
    const at: number[] = [];
    for (let i = 0; i < n; i += step) at.push(i);
    if (at[at.length - 1] !== n - 1) at.push(n - 1);
    return at;
  };
  const xs = axis(width);
  const ys = axis(height);
  const lu = new Float64Array(xs.length * ys.length);
  const lv = new Float64Array(xs.length * ys.length);
  for (let j = 0; j < ys.length; j++) {
    for (let i = 0; i < xs.length; i++) {
      const [u, v] = toSource(xs[i] + 0.5, ys[j] + 0.5);
      lu[j * xs.length + i] = u;
      lv[j * xs.length + i] = v;
    }
  }
  const cellsX = Math.max(1, xs.length - 1);
  const cellsY = Math.max(1, ys.length - 1);
  for (let cj = 0; cj < cellsY; cj++) {
    const y0 = ys[cj];
    const y1 = ys[Math.min(cj + 1, ys.length - 1)];
    const yEnd = cj + 1 < cellsY ? y1 : height; // last cell includes its bottom row
    for (let ci = 0; ci < cellsX; ci++) {
      const x0 = xs[ci];
      const x1 = xs[Math.min(ci + 1, xs.length - 1)];
      const xEnd = ci + 1 < cellsX ? x1 : width;
      const i00 = cj * xs.length + ci;
      const i10 = cj * xs.length + Math.min(ci + 1, xs.length - 1);
      const i01 = Math.min(cj + 1, ys.length - 1) * xs.length + ci;
      const i11 = Math.min(cj + 1, ys.length - 1) * xs.length + Math.min(ci + 1, xs.length - 1);
      const corners = [lu[i00], lv[i00], lu[i10], lv[i10], lu[i01], lv[i01], lu[i11], lv[i11]];
      const dx = x1 - x0 || 1;
      const dy = y1 - y0 || 1;
      const interpolate = (x: number, y: number): [number, number] => {
        const tx = (x - x0) / dx;
        const ty = (y - y0) / dy;
        const u = (1 - ty) * ((1 - tx) * corners[0] + tx * corners[2]) + ty * ((1 - tx) * corners[4] + tx * corners[6]);
        const v = (1 - ty) * ((1 - tx) * corners[1] + tx * corners[3]) + ty * ((1 - tx) * corners[5] + tx * corners[7]);
        return [u, v];
      };
      let exact = !corners.every(Number.isFinite);
      if (!exact && (x1 - x0 > 1 || y1 - y0 > 1)) {
        const mx = (x0 + x1) / 2;
        const my = (y0 + y1) / 2;
        const [eu, ev] = toSource(mx + 0.5, my + 0.5);
        const [iu, iv] = interpolate(mx, my);
        exact = !(Math.abs(eu - iu) <= maxError && Math.abs(ev - iv) <= maxError);
      }
      for (let y = y0; y < yEnd; y++) {
        for (let x = x0; x < xEnd; x++) {
          const [u, v] = exact ? toSource(x + 0.5, y + 0.5) : interpolate(x, y);
          put(x, y, u, v);
        }
      }
    }
  }
  return out;
}
