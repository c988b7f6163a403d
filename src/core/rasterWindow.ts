/**
 * Pixels read from a scene window: one typed array per requested band (row-major) and a validity mask.
 * Produced by the raster adapter (src/adapters/raster/openScene.ts), consumed by pure code (stretch, tiles).
 */
export type SampleArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface RasterWindow {
  width: number;
  height: number;
  /** One array per requested band, width*height samples each. */
  bands: SampleArray[];
  /** width*height: 1 = data, 0 = nodata / masked / alpha = 0. */
  valid: Uint8Array;
}
