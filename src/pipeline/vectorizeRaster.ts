/**
 * `waterline vectorize`: any mask raster → water polygons, with the same vectorizer as `segment`.
 * The raster is read in strips of rows into a one-bit mask — in memory up to 8 MiB (an 8192² raster), else in a
 * temporary file read back in blocks of rows, as `segment`'s mask (createSceneMask) — and traced in one pass
 * (traceBitMask); a pixel is water when
 * its band value equals `value` (default 1: flood labels -1/0/1, 0/1 masks) or, with `above`, when it
 * is greater than that threshold (continuous rasters such as NDWI). Nodata/masked pixels are never water.
 */
import { openScene } from '../adapters/raster/openScene.ts';
import { createCrsTransform } from '../adapters/raster/crs.ts';
import { CancelledError, InputError } from '../core/errors.ts';
import { BitMask } from '../core/masks/bitMask.ts';
import type { WritableMaskRows } from '../core/masks/maskRows.ts';
import { createSceneMask } from '../adapters/raster/sceneMask.ts';
import { traceBitMask, type Connectivity } from '../core/vector/traceMask.ts';
import { createFeatureMaker, type WaterFeature } from '../core/vector/toGeoJson.ts';
import type { WaterProvenance } from '../core/vector/waterCollection.ts';

export interface VectorizeRasterOptions {
  /** 1-based band (default 1). */
  band?: number;
  /** Water value (default 1); ignored when `above` is set. */
  value?: number;
  /** Water where the value is > above. */
  above?: number;
  connectivity?: Connectivity;
  simplify?: number;
  minAreaM2?: number;
  signal?: AbortSignal;
  now?: () => Date;
  onProgress?: (rowsDone: number, rows: number) => void;
  /** Keep the one-bit mask in memory up to this many bytes, else in a temporary file (default 8 MiB). */
  maskMemoryBytes?: number;
  /** The directory the mask's temporary file goes in (default: the system temp directory). */
  spillDir?: string;
}

const STRIP_PIXELS = 2 * 1024 * 1024;

/** The raster's water as a one-bit mask, and the raster's facts; the caller closes the mask. */
export async function readWaterMask(
  source: string,
  options: Pick<VectorizeRasterOptions, 'band' | 'value' | 'above' | 'signal' | 'onProgress' | 'maskMemoryBytes' | 'spillDir'> = {},
) {
  const scene = await openScene(source, { signal: options.signal });
  let mask: WritableMaskRows | null = null;
  try {
    const { info } = scene;
    const band = options.band ?? 1;
    if (!Number.isInteger(band) || band < 1 || band > info.bands.length) {
      throw new InputError('bad_band', `${source}: --band ${band} does not exist (the raster has ${info.bands.length} band(s))`, { hint: `use a band between 1 and ${info.bands.length}` });
    }
    const { width, height } = info;
    mask = createSceneMask(width, height, { memoryBytes: options.maskMemoryBytes, tmpDir: options.spillDir });
    const rowsPerStrip = Math.max(1, Math.min(height, Math.floor(STRIP_PIXELS / width)));
    // each strip's bits are packed here, then copied row by row into the mask (which may be on disk)
    const stripBits = new BitMask(width, rowsPerStrip);
    const value = options.value ?? 1;
    const above = options.above;
    for (let y = 0; y < height; y += rowsPerStrip) {
      if (options.signal?.aborted) throw new CancelledError(`vectorizing ${source} cancelled`);
      const h = Math.min(rowsPerStrip, height - y);
      const strip = await scene.readWindow({ x: 0, y, width, height: h }, { bands: [band], signal: options.signal });
      setWaterBits(stripBits, 0, h, strip.bands[0], strip.valid, above !== undefined ? { above } : { value });
      for (let r = 0; r < h; r++) mask.setPackedRow(y + r, stripBits.bits, r * stripBits.stride);
      options.onProgress?.(y + h, height);
    }
    const done = mask;
    mask = null;
    return { info, mask: done };
  } finally {
    mask?.close();
    await scene.close();
  }
}

/** Rows y.. of `mask` from a strip of samples: water where valid and (= value | > above), eight pixels per byte written. */
function setWaterBits(mask: BitMask, y: number, rows: number, data: ArrayLike<number>, valid: Uint8Array, rule: { value: number } | { above: number }): void {
  const { width, stride, bits } = mask;
  const full = width >> 3;
  const isAbove = 'above' in rule;
  const cut = isAbove ? rule.above : rule.value;
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    const out = (y + r) * stride;
    // eight pixels per byte, one pass (valid is 0 or 1): most of the read time on a large mask is spent here
    if (isAbove) {
      for (let b = 0, i = row; b < full; b++, i += 8) {
        bits[out + b] =
          (valid[i] & (data[i] > cut ? 1 : 0)) | ((valid[i + 1] & (data[i + 1] > cut ? 1 : 0)) << 1) |
          ((valid[i + 2] & (data[i + 2] > cut ? 1 : 0)) << 2) | ((valid[i + 3] & (data[i + 3] > cut ? 1 : 0)) << 3) |
          ((valid[i + 4] & (data[i + 4] > cut ? 1 : 0)) << 4) | ((valid[i + 5] & (data[i + 5] > cut ? 1 : 0)) << 5) |
          ((valid[i + 6] & (data[i + 6] > cut ? 1 : 0)) << 6) | ((valid[i + 7] & (data[i + 7] > cut ? 1 : 0)) << 7);
      }
    } else {
      for (let b = 0, i = row; b < full; b++, i += 8) {
        bits[out + b] =
          (valid[i] & (data[i] === cut ? 1 : 0)) | ((valid[i + 1] & (data[i + 1] === cut ? 1 : 0)) << 1) |
          ((valid[i + 2] & (data[i + 2] === cut ? 1 : 0)) << 2) | ((valid[i + 3] & (data[i + 3] === cut ? 1 : 0)) << 3) |
          ((valid[i + 4] & (data[i + 4] === cut ? 1 : 0)) << 4) | ((valid[i + 5] & (data[i + 5] === cut ? 1 : 0)) << 5) |
          ((valid[i + 6] & (data[i + 6] === cut ? 1 : 0)) << 6) | ((valid[i + 7] & (data[i + 7] === cut ? 1 : 0)) << 7);
      }
    }
    if (full < stride) {
      let byte = 0;
      for (let x = full << 3, k = 0; x < width; x++, k++) {
        const i = row + x;
        if (valid[i] && (isAbove ? data[i] > cut : data[i] === cut)) byte |= 1 << k;
      }
      bits[out + full] = byte;
    }
  }
}

/** The provenance and the features of a vectorized raster, each feature made when the iteration reaches it, in id order. */
export interface VectorizedFeatures {
  waterline: WaterProvenance;
  features: Iterable<WaterFeature>;
}

/**
 * A mask raster's water features one at a time, for writing them as they are made: a 9000² mask's 23 000
 * features held until the end made every young-generation GC copy them (a third of the CPU time after tracing).
 */
export async function vectorizeRasterFeatures(source: string, options: VectorizeRasterOptions = {}): Promise<VectorizedFeatures> {
  const { info, mask } = await readWaterMask(source, options);
  const connectivity = options.connectivity ?? 4;
  let trace: ReturnType<typeof traceBitMask>;
  try {
    trace = traceBitMask(mask, { connectivity });
  } finally {
    mask.close();
  }
  const toFeature = createFeatureMaker(trace, {
    geoTransform: info.geoTransform,
    toWgs84: createCrsTransform(info.crs).toWgs84,
    simplify: options.simplify ?? 0,
    minAreaM2: options.minAreaM2 ?? 0,
  });
  const waterline: WaterProvenance = {
    scene: source,
    band: options.band ?? 1,
    waterRule: options.above !== undefined ? `value > ${options.above}` : `value == ${options.value ?? 1}`,
    connectivity,
    simplify: options.simplify ?? 0,
    minAreaM2: options.minAreaM2 ?? 0,
    created: (options.now ?? (() => new Date()))().toISOString(),
  };
  function* features(): Generator<WaterFeature> {
    const { polygons } = trace;
    for (let i = 0; i < polygons.length; i++) {
      const feature = toFeature(polygons[i], i + 1); // ids count dropped polygons too, as tracedToFeatures
      if (feature) yield feature;
    }
  }
  return { waterline, features: features() };
}
