/**
 * Open a GeoTIFF / COG (local path or http(s) URL, read with HTTP range requests) as a Scene:
 * metadata up front (SceneInfo), pixels only through windowed reads.
 */
import { open, stat } from 'node:fs/promises';
import { fromFile, fromUrl, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import type { BandInfo, PixelWindow, SampleType, SceneInfo } from '../../core/scene.ts';
import { pixelArea, type GeoTransform } from '../../core/grid/affine.ts';
import type { RasterWindow, SampleArray } from '../../core/rasterWindow.ts';
import { COLLAR_CORNER_PX, hasBlackCollar } from '../../core/bands/blackCollar.ts';
import { notTiffError } from '../../core/fileSignature.ts';
import { CancelledError, InputError, NotFoundError, TooLargeError, UnsupportedError, WaterlineError } from '../../core/errors.ts';
import { crsFromGeoKeys } from './crs.ts';
import { mergeBandMetadata, parseGdalMetadataTag, readPamSidecar, type GdalBandMetadata } from './gdalBandMetadata.ts';
import { BlockCache } from './blockCache.ts';
import { DEFAULT_TIFF_LIMITS, checkTiffStructure, type TiffLimits } from './tiffStructure.ts';
import './zlibDeflateDecoder.ts';
import './lzwDecoder.ts';
import './jpegDecoder.ts';
import { JPEG_BLOCKS_ARE_RGB } from './sharpJpegDecoder.ts';
import { createBlockWindowReader, toNumbers, type BlockWindowReader, type ByteRgbTarget } from './blockWindowReader.ts';

export interface ReadWindowOptions {
  /** 1-based band numbers; default all bands. */
  bands?: number[];
  /** Output size (resampled, nearest neighbour); the best overview is used when smaller than the window. */
  width?: number;
  height?: number;
  signal?: AbortSignal;
  /**
   * Refuse (`needs_overviews`, 422) a read that would decode more pixels than this at the level chosen —
   * a low-zoom web tile of a big scene without overviews would otherwise decode the whole scene.
   */
  maxSourcePixels?: number;
}

export interface Scene {
  info: SceneInfo;
  readWindow(window: PixelWindow, opts?: ReadWindowOptions): Promise<RasterWindow>;
  /**
   * Read-ahead: start decoding the full-resolution blocks a later `readWindow(window, { bands })` will need,
   * without waiting for them (errors surface in that read). Optional: scenes without a block cache omit it.
   */
  prefetch?(window: PixelWindow, opts?: { bands?: number[] }): void;
  /**
   * `readWindow(window, { bands })` straight into an RGB picture, for scenes whose full-resolution image is
   * pixel-interleaved 8-bit (`null` for the others, before anything is read; use readWindow then): window pixel
   * (x, y) of a valid pixel (readWindow's rule: nodata of every band, alpha, mask) goes to pixel
   * y * rowStride + x of `rgb` as tables[c][value of bands[c]] (one band: grey, that band in all three) and of
   * `valid` as 1; invalid pixels are left untouched. Returns the number of valid pixels. Optional.
   */
  readByteRgb?(window: PixelWindow, into: ByteRgbRead): Promise<number> | null;
  close(): Promise<void>;
}

/** What `Scene.readByteRgb` reads and where it writes. */
export interface ByteRgbRead {
  /** 1-based bands: 3 (R, G, B) or 1 (grey). */
  bands: number[];
  /** A 256-entry lookup table per band of `bands`. */
  tables: Uint8Array[];
  rgb: Uint8Array;
  valid: Uint8Array;
  /** Pixels per row of `rgb` and `valid`. */
  rowStride: number;
  signal?: AbortSignal;
}

/** Largest scene accepted (pixels per band): refuses headers that claim absurd sizes. */
export const MAX_SCENE_PIXELS = 4_000_000_000;
/** Largest single window read (output pixels). */
export const MAX_WINDOW_PIXELS = 64 * 1024 * 1024;
const MAX_IFDS = 64;
/**
 * Decoded-block cache per Scene: three block rows of the full-resolution image (a model tile row with
 * overlap spans at most that many, and tiles are read in row-major order), at least 16 MiB and never more
 * than 256 MiB, whatever the scene size.
 */
export const BLOCK_CACHE_MIN_BYTES = 16 * 1024 * 1024;
export const BLOCK_CACHE_MAX_BYTES = 256 * 1024 * 1024;

export interface OpenSceneOptions {
  signal?: AbortSignal;
  /** Budget of the decoded-block cache in bytes (0 disables it); default: see BLOCK_CACHE_MAX_BYTES. */
  blockCacheBytes?: number;
  /** Structure limits checked before anything is decoded (src/adapters/raster/tiffStructure.ts); default DEFAULT_TIFF_LIMITS. */
  limits?: Partial<TiffLimits>;
  /** How long opening a URL (header and IFDs) may take before it fails with `url_timeout`; default URL_OPEN_TIMEOUT_MS. */
  openTimeoutMs?: number;
  /**
   * Imagery only: when the file declares no nodata value, mask or alpha band and its corners are exactly 0 in every
   * band, read 0 as nodata in every band (`info.blackCollar`; core/bands/blackCollar.ts). Never for masks and labels,
   * whose 0 is land. Costs four small corner reads at open.
   */
  detectBlackCollar?: boolean;
}

/** Black-collar detection reads the four corner blocks only when one decodes to at most this many bytes (as float64). */
const COLLAR_MAX_BLOCK_BYTES = 64 * 1024 * 1024;

/** Opening a COG URL ends within this time: a server that never answers is an error, not a hang. */
export const URL_OPEN_TIMEOUT_MS = 60_000;

function isTimeout(err: unknown, signal: AbortSignal | undefined): boolean {
  return (err instanceof Error && err.name === 'TimeoutError') || (signal?.aborted === true && (signal.reason as Error | undefined)?.name === 'TimeoutError');
}

/** The structure check through geotiff.js's own byte source (a file, or range requests for a URL); returns the IFD count. */
async function checkStructure(tiff: GeoTIFF, source: string, fileSize: number | null, opts: OpenSceneOptions, signal: AbortSignal | undefined): Promise<number> {
  const bytes = (tiff as unknown as { source: { fetch(slices: { offset: number; length: number }[], signal?: AbortSignal): Promise<ArrayBuffer[]>; fileSize: number | null } }).source;
  const size = fileSize ?? bytes.fileSize ?? null;
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const n = size === null ? length : Math.max(0, Math.min(length, size - offset));
    if (n === 0) return new Uint8Array(0);
    const [buf] = await bytes.fetch([{ offset, length: n }], signal);
    return new Uint8Array(buf);
  };
  const structure = await checkTiffStructure(read, size, source, { ...DEFAULT_TIFF_LIMITS, ...opts.limits });
  return structure.ifds.length;
}

/** TIFF compression codes geotiff.js decodes, with GDAL's names. */
const COMPRESSIONS: Record<number, string> = {
  1: 'NONE', 5: 'LZW', 7: 'JPEG', 8: 'DEFLATE', 32946: 'DEFLATE', 32773: 'PACKBITS', 34887: 'LERC', 50000: 'ZSTD', 50001: 'WEBP',
};

interface Level {
  image: GeoTIFFImage;
  width: number;
  height: number;
  /** Per-dataset mask at this level, if any. */
  mask?: GeoTIFFImage;
  reader?: BlockWindowReader;
  maskReader?: BlockWindowReader;
}

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function corrupt(source: string, err: unknown): WaterlineError {
  if (err instanceof WaterlineError) return err;
  if (err instanceof Error && err.name === 'AbortError') return new CancelledError(`${source}: read cancelled`);
  const msg = err instanceof Error ? err.message : String(err);
  return new InputError('corrupt_tiff', `${source}: cannot decode the TIFF (${msg})`, {
    hint: 'the file may be truncated or corrupt; re-download or re-export it',
    cause: err,
  });
}

function sampleType(format: number, bits: number): SampleType | null {
  if (format === 1 && bits === 8) return 'Byte';
  if (format === 1 && bits === 16) return 'UInt16';
  if (format === 1 && bits === 32) return 'UInt32';
  if (format === 2 && bits === 8) return 'Int8';
  if (format === 2 && bits === 16) return 'Int16';
  if (format === 2 && bits === 32) return 'Int32';
  if (format === 3 && bits === 32) return 'Float32';
  if (format === 3 && bits === 64) return 'Float64';
  return null;
}

function colorInterpretations(photometric: number, count: number, extraSamples: number[], fromGdal: Map<number, GdalBandMetadata>): string[] {
  const out: string[] = [];
  const colourCount = photometric === 2 || photometric === 6 ? 3 : 1;
  for (let i = 0; i < count; i++) {
    let ci: string;
    if (i < colourCount && count >= colourCount) {
      if (photometric === 2 || photometric === 6) ci = ['Red', 'Green', 'Blue'][i];
      else if (photometric === 3) ci = 'Palette';
      else ci = 'Gray';
    } else {
      const extra = extraSamples[i - colourCount];
      ci = extra === 1 || extra === 2 ? 'Alpha' : 'Undefined';
    }
    out.push(fromGdal.get(i + 1)?.colorInterpretation ?? ci);
  }
  return out;
}

function geoTransformOf(image: GeoTIFFImage, source: string): GeoTransform {
  const fd = image.fileDirectory;
  const tiepoints = toNumbers(fd.getValue('ModelTiepoint'));
  const scale = toNumbers(fd.getValue('ModelPixelScale'));
  const matrix = toNumbers(fd.getValue('ModelTransformation'));
  let gt: [number, number, number, number, number, number];
  if (matrix.length >= 8) {
    gt = [matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]];
  } else if (tiepoints.length === 6 && scale.length >= 2) {
    const [i, j, , x, y] = tiepoints;
    gt = [x - i * scale[0], scale[0], 0, y + j * scale[1], 0, -scale[1]];
  } else if (tiepoints.length > 6) {
    throw new InputError('not_georeferenced', `${source}: georeferenced only by ${tiepoints.length / 6} ground control points (GCPs), with no geotransform`, {
      hint: 'warp it to a map grid first, e.g. gdalwarp -t_srs EPSG:4326 in.tif out.tif',
    });
  } else {
    throw new InputError('not_georeferenced', `${source}: not georeferenced (no geotransform tags)`, {
      hint: 'georeference it first, e.g. gdal_translate -a_srs EPSG:xxxx -a_ullr ...',
    });
  }
  if (gt.some((v) => !Number.isFinite(v)) || pixelArea(gt) === 0) {
    throw new InputError('not_georeferenced', `${source}: invalid geotransform [${gt.join(', ')}]`, {
      hint: 'fix the georeferencing, e.g. gdal_translate -a_ullr ...',
    });
  }
  // PixelIsPoint: GDAL shifts the origin by half a pixel so that (0,0) is the pixel corner.
  const geoKeys = image.getGeoKeys() as Record<string, unknown> | null;
  if (geoKeys?.GTRasterTypeGeoKey === 2) {
    gt[0] -= 0.5 * gt[1] + 0.5 * gt[2];
    gt[3] -= 0.5 * gt[4] + 0.5 * gt[5];
  }
  return gt;
}

async function checkNotTruncated(image: GeoTIFFImage, fileSize: number, source: string): Promise<void> {
  const fd = image.fileDirectory;
  const tiled = fd.hasTag('TileOffsets');
  const offsets = toNumbers(await fd.loadValue(tiled ? 'TileOffsets' : 'StripOffsets'));
  const counts = toNumbers(await fd.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts'));
  let end = 0;
  for (let i = 0; i < offsets.length; i++) end = Math.max(end, offsets[i] + (counts[i] ?? 0));
  if (end > fileSize) {
    throw new InputError('truncated_tiff', `${source}: truncated TIFF (pixel data runs to byte ${end} but the file has ${fileSize} bytes)`, {
      hint: 're-download or re-export the file',
    });
  }
}

async function buildInfo(tiff: GeoTIFF, source: string, fileSize: number | null, count: number): Promise<{ info: SceneInfo; levels: Level[] }> {
  const main = await tiff.getImage(0);
  const fd = main.fileDirectory;
  const width = main.getWidth();
  const height = main.getHeight();
  if (!(width > 0 && height > 0)) {
    throw new InputError('bad_size', `${source}: invalid raster size ${width}x${height}`, { hint: 're-export the file' });
  }
  if (width * height > MAX_SCENE_PIXELS) {
    throw new TooLargeError('scene_too_large', `${source}: header claims ${width}x${height} pixels, more than the ${MAX_SCENE_PIXELS} supported`, {
      hint: 'check the file; split very large scenes with gdal_translate -srcwin',
    });
  }
  const compressionCode = Number(fd.getValue('Compression') ?? 1);
  if (!(compressionCode in COMPRESSIONS)) {
    throw new UnsupportedError('unsupported_compression', `${source}: unsupported TIFF compression ${compressionCode}`, {
      hint: 'recompress it, e.g. gdal_translate -co COMPRESS=DEFLATE in.tif out.tif',
    });
  }
  const photometric = Number(fd.getValue('PhotometricInterpretation') ?? 1);
  const spp = main.getSamplesPerPixel();
  const formats = toNumbers(fd.getValue('SampleFormat'));
  const bits = toNumbers(fd.getValue('BitsPerSample'));
  const types: SampleType[] = [];
  for (let i = 0; i < spp; i++) {
    const t = sampleType(formats[i] ?? formats[0] ?? 1, bits[i] ?? bits[0] ?? 8);
    if (!t) {
      throw new UnsupportedError('unsupported_sample_type', `${source}: unsupported sample type (format ${formats[i] ?? 1}, ${bits[i] ?? bits[0]} bits) in band ${i + 1}`, {
        hint: 'convert it, e.g. gdal_translate -ot UInt16 in.tif out.tif',
      });
    }
    types.push(t);
  }
  const geoTransform = geoTransformOf(main, source);
  const crs = crsFromGeoKeys(main.getGeoKeys() as Record<string, unknown> | null, source);
  if (fileSize !== null) await checkNotTruncated(main, fileSize, source);

  const noData = main.getGDALNoData();
  const gdalMetadata = fd.hasTag('GDAL_METADATA') ? String(await fd.loadValue('GDAL_METADATA')) : undefined;
  const bandMetadata = mergeBandMetadata(parseGdalMetadataTag(gdalMetadata), fileSize !== null ? await readPamSidecar(source) : new Map());
  const interps = colorInterpretations(photometric, spp, toNumbers(fd.getValue('ExtraSamples')), bandMetadata);
  const bands: BandInfo[] = types.map((type, i) => ({
    band: i + 1,
    type,
    noDataValue: noData === null || Number.isNaN(noData) && !type.startsWith('Float') ? null : noData,
    colorInterpretation: interps[i],
    description: bandMetadata.get(i + 1)?.description ?? '',
    scale: bandMetadata.get(i + 1)?.scale ?? 1,
    offset: bandMetadata.get(i + 1)?.offset ?? 0,
  }));

  const levels: Level[] = [{ image: main, width, height }];
  const masks: GeoTIFFImage[] = [];
  for (let i = 1; i < Math.min(count, MAX_IFDS); i++) {
    const img = await tiff.getImage(i);
    const kind = Number(img.fileDirectory.getValue('NewSubfileType') ?? 0);
    if (kind & 4) masks.push(img);
    else if (kind & 1 && img.getSamplesPerPixel() === spp) levels.push({ image: img, width: img.getWidth(), height: img.getHeight() });
  }
  for (const level of levels) level.mask = masks.find((m) => m.getWidth() === level.width && m.getHeight() === level.height);

  const compression = compressionCode === 7 && photometric === 6 ? 'YCbCr JPEG' : COMPRESSIONS[compressionCode];
  const info: SceneInfo = {
    source,
    width,
    height,
    bands,
    geoTransform,
    crs,
    blockWidth: main.getTileWidth(),
    blockHeight: main.getTileHeight(),
    overviews: levels.slice(1).map((l) => ({ width: l.width, height: l.height })),
    compression,
    hasMask: Boolean(levels[0].mask) || interps.includes('Alpha'),
  };
  return { info, levels };
}

function checkWindow(info: SceneInfo, w: PixelWindow): void {
  const ok = [w.x, w.y, w.width, w.height].every(Number.isInteger) && w.x >= 0 && w.y >= 0 && w.width > 0 && w.height > 0 &&
    w.x + w.width <= info.width && w.y + w.height <= info.height;
  if (!ok) {
    throw new InputError('bad_window', `${info.source}: window ${JSON.stringify(w)} is not inside the ${info.width}x${info.height} scene`, {
      hint: 'request a window of whole pixels inside the scene',
    });
  }
}

function ycbcrToRgb(y: SampleArray, cb: SampleArray, cr: SampleArray): void {
  for (let i = 0; i < y.length; i++) {
    const Y = y[i];
    const Cb = cb[i] - 128;
    const Cr = cr[i] - 128;
    const r = Y + 1.402 * Cr;
    const g = Y - 0.344136 * Cb - 0.714136 * Cr;
    const b = Y + 1.772 * Cb;
    y[i] = r < 0 ? 0 : r > 255 ? 255 : Math.round(r);
    cb[i] = g < 0 ? 0 : g > 255 ? 255 : Math.round(g);
    cr[i] = b < 0 ? 0 : b > 255 ? 255 : Math.round(b);
  }
}

/** The first 16 bytes of a local file or URL (fewer for a shorter file; none when they cannot be read). */
async function firstBytes(path: string, url: boolean): Promise<Uint8Array> {
  if (url) {
    try {
      // a server that ignores Range sends the whole body: read its first chunk only
      const res = await fetch(path, { headers: { Range: 'bytes=0-15' }, signal: AbortSignal.timeout(10_000) });
      const reader = res.body?.getReader();
      const first = reader ? await reader.read() : { value: undefined };
      await reader?.cancel();
      return (first.value ?? new Uint8Array(0)).subarray(0, 16);
    } catch {
      return new Uint8Array(0);
    }
  }
  try {
    const handle = await open(path, 'r');
    try {
      const buf = new Uint8Array(16);
      const { bytesRead } = await handle.read(buf, 0, 16, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return new Uint8Array(0);
  }
}

/**
 * Open imagery — a scene to segment, render or evaluate — as opposed to a label or mask raster: openScene with
 * `detectBlackCollar`, so every path that reads a scene's pixels agrees on what is nodata.
 */
export function openImagery(source: string, opts: Omit<OpenSceneOptions, 'detectBlackCollar'> = {}): Promise<Scene> {
  return openScene(source, { ...opts, detectBlackCollar: true });
}

/** Open a local GeoTIFF or a COG URL. Reads only the header; pixels come through `readWindow`. */
export async function openScene(source: string, opts: OpenSceneOptions = {}): Promise<Scene> {
  let tiff: GeoTIFF;
  let fileSize: number | null = null;
  const url = isUrl(source);
  const openSignal = url ? AbortSignal.any([AbortSignal.timeout(opts.openTimeoutMs ?? URL_OPEN_TIMEOUT_MS), ...(opts.signal ? [opts.signal] : [])]) : opts.signal;
  const timedOut = (): InputError => new InputError('url_timeout', `${source}: no complete answer within ${(opts.openTimeoutMs ?? URL_OPEN_TIMEOUT_MS) / 1000} s`, {
    hint: 'check the URL and its server, or download the file and open it locally',
  });
  try {
    if (url) {
      tiff = await fromUrl(source, { allowFullFile: false } as never, openSignal);
    } else {
      try {
        const st = await stat(source);
        if (!st.isFile()) throw new InputError('not_a_file', `${source}: not a file`, { hint: 'pass the path of a GeoTIFF file' });
        fileSize = st.size;
      } catch (err) {
        if (err instanceof WaterlineError) throw err;
        throw new NotFoundError('scene_not_found', `${source}: no such file`, { hint: 'check the path', cause: err });
      }
      tiff = await fromFile(source, opts.signal);
    }
  } catch (err) {
    if (err instanceof WaterlineError) throw err;
    if (url && isTimeout(err, openSignal)) throw timedOut();
    if (err instanceof Error && err.name === 'AbortError') throw new CancelledError(`${source}: open cancelled`);
    const msg = err instanceof Error ? err.message : String(err);
    // what the file (or the URL's answer: a sign-in page, an error page) is, when it is a known other kind
    const named = notTiffError(source, await firstBytes(source, url), err);
    if (named) throw named;
    if (/byte order|magic|Invalid|not a TIFF|offset/i.test(msg)) {
      throw new InputError('not_tiff', `${source}: not a TIFF/GeoTIFF file (${msg})`, { hint: 'pass a GeoTIFF or COG', cause: err });
    }
    throw new InputError('unreadable_scene', `${source}: cannot open (${msg})`, { hint: 'check the path or URL and that it is a GeoTIFF', cause: err });
  }
  let built: Awaited<ReturnType<typeof buildInfo>>;
  try {
    // The checked structure's IFD count: geotiff.js's getImageCount walks the chain without a bound.
    built = await buildInfo(tiff, source, fileSize, await checkStructure(tiff, source, fileSize, opts, openSignal));
  } catch (err) {
    tiff.close();
    throw url && isTimeout(err, openSignal) ? timedOut() : corrupt(source, err);
  }
  const { info, levels } = built;
  let cacheBytes = opts.blockCacheBytes;
  const cache = new BlockCache<ArrayBufferLike>(0);
  levels.forEach((level, i) => {
    level.reader = createBlockWindowReader(level.image, cache, `L${i}`);
    if (level.mask) level.maskReader = createBlockWindowReader(level.mask, cache, `M${i}`);
  });
  cacheBytes ??= Math.min(BLOCK_CACHE_MAX_BYTES, Math.max(BLOCK_CACHE_MIN_BYTES, 3 * ((levels[0].reader?.blockRowBytes ?? 0) + (levels[0].maskReader?.blockRowBytes ?? 0))));
  cache.resize(cacheBytes);
  const alphaBand = info.bands.find((b) => b.colorInterpretation === 'Alpha')?.band;
  // geotiff.js returns YCbCr samples as Y, Cb, Cr: convert to RGB (JFIF equations) like GDAL — except JPEG
  // blocks, which libjpeg already returns as RGB (sharpJpegDecoder.ts).
  const jpegRgb = JPEG_BLOCKS_ARE_RGB && Number(levels[0].image.fileDirectory.getValue('Compression')) === 7;
  const ycbcr = Number(levels[0].image.fileDirectory.getValue('PhotometricInterpretation')) === 6 && info.bands.length >= 3 && !jpegRgb;

  async function readWindow(window: PixelWindow, o: ReadWindowOptions = {}): Promise<RasterWindow> {
    checkWindow(info, window);
    const bands = o.bands ?? info.bands.map((b) => b.band);
    for (const b of bands) {
      if (!Number.isInteger(b) || b < 1 || b > info.bands.length) {
        throw new InputError('bad_band', `${source}: band ${b} does not exist (the scene has ${info.bands.length})`, {
          hint: `choose bands between 1 and ${info.bands.length}`,
        });
      }
    }
    const outW = o.width ?? window.width;
    const outH = o.height ?? window.height;
    if (!(Number.isInteger(outW) && Number.isInteger(outH) && outW > 0 && outH > 0) || outW * outH > MAX_WINDOW_PIXELS) {
      throw new TooLargeError('window_too_large', `${source}: output size ${outW}x${outH} is invalid or larger than ${MAX_WINDOW_PIXELS} pixels`, {
        hint: 'read smaller windows',
      });
    }
    // Pick the coarsest level that still has at least the requested resolution.
    const factor = Math.min(window.width / outW, window.height / outH);
    let level = levels[0];
    for (const l of levels.slice(1)) {
      const s = Math.max(info.width / l.width, info.height / l.height);
      if (s <= factor + 1e-9) level = l;
    }
    const sx = info.width / level.width;
    const sy = info.height / level.height;
    const x0 = Math.floor(window.x / sx);
    const y0 = Math.floor(window.y / sy);
    const x1 = Math.min(level.width, Math.max(x0 + 1, Math.ceil((window.x + window.width) / sx)));
    const y1 = Math.min(level.height, Math.max(y0 + 1, Math.ceil((window.y + window.height) / sy)));
    if (o.maxSourcePixels !== undefined && (x1 - x0) * (y1 - y0) > o.maxSourcePixels) {
      throw new UnsupportedError('needs_overviews', `${source}: a ${outW}x${outH} view of this ${window.width}x${window.height} window would decode ${(x1 - x0) * (y1 - y0)} pixels (more than ${o.maxSourcePixels}); the scene has no overview coarse enough`, {
        hint: 'zoom in, or add overviews to the file (gdaladdo -r average scene.tif)',
      });
    }
    const wanted = [...new Set([...(ycbcr ? [1, 2, 3] : []), ...bands, ...(alphaBand ? [alphaBand] : [])])];
    try {
      const reader = level.reader as BlockWindowReader;
      const rasters = await reader.read([x0, y0, x1, y1], wanted.map((b) => b - 1), outW, outH, o.signal);
      if (ycbcr) ycbcrToRgb(rasters[0], rasters[1], rasters[2]);
      const byBand = new Map(wanted.map((b, i) => [b, rasters[i]]));
      const n = outW * outH;
      const valid = new Uint8Array(n).fill(1);
      const selected = bands.map((b) => byBand.get(b) as SampleArray);
      const noData = bands.map((b) => info.bands[b - 1].noDataValue);
      if (noData.every((v) => v !== null)) {
        // A pixel is nodata when every selected band holds its nodata value (NaN matching NaN).
        const all = new Uint8Array(n).fill(1);
        for (let k = 0; k < selected.length; k++) {
          const arr = selected[k];
          const nd = noData[k] as number;
          if (Number.isNaN(nd)) {
            for (let p = 0; p < n; p++) if (!Number.isNaN(arr[p])) all[p] = 0;
          } else {
            for (let p = 0; p < n; p++) if (arr[p] !== nd) all[p] = 0;
          }
        }
        for (let p = 0; p < n; p++) if (all[p]) valid[p] = 0;
      }
      for (let k = 0; k < selected.length; k++) {
        const arr = selected[k];
        if (arr instanceof Float32Array || arr instanceof Float64Array) for (let p = 0; p < n; p++) if (Number.isNaN(arr[p])) valid[p] = 0;
      }
      if (alphaBand) {
        const alpha = byBand.get(alphaBand) as SampleArray;
        for (let p = 0; p < n; p++) if (alpha[p] === 0) valid[p] = 0;
      }
      if (level.maskReader) {
        const [m] = await level.maskReader.read([x0, y0, x1, y1], [0], outW, outH, o.signal);
        for (let p = 0; p < n; p++) if (m[p] === 0) valid[p] = 0;
      }
      return { width: outW, height: outH, bands: selected, valid };
    } catch (err) {
      throw corrupt(source, err);
    }
  }

  function prefetch(window: PixelWindow, o: { bands?: number[] } = {}): void {
    const level = levels[0];
    const x1 = window.x + window.width;
    const y1 = window.y + window.height;
    if (!(window.x >= 0 && window.y >= 0 && x1 <= info.width && y1 <= info.height && x1 > window.x && y1 > window.y)) return;
    const bands = o.bands ?? info.bands.map((b) => b.band);
    const wanted = [...new Set([...(ycbcr ? [1, 2, 3] : []), ...bands, ...(alphaBand ? [alphaBand] : [])])].filter((b) => Number.isInteger(b) && b >= 1 && b <= info.bands.length);
    const win: [number, number, number, number] = [window.x, window.y, x1, y1];
    level.reader?.prefetch(win, wanted.map((b) => b - 1));
    level.maskReader?.prefetch(win, [0]);
  }

  function readByteRgb(window: PixelWindow, o: ByteRgbRead): Promise<number> | null {
    const level = levels[0];
    const { bands, tables } = o;
    if (ycbcr || !level.reader?.readsByteRgb || (bands.length !== 1 && bands.length !== 3) || tables.length !== bands.length) return null;
    if (!bands.every((b) => Number.isInteger(b) && b >= 1 && b <= info.bands.length && info.bands[b - 1].type === 'Byte')) return null;
    if (!tables.every((t) => t.length === 256)) return null;
    checkWindow(info, window);
    if (window.width > o.rowStride || window.height * o.rowStride > o.valid.length || o.rgb.length < 3 * o.valid.length) {
      throw new RangeError(`window ${window.width}x${window.height} does not fit the target`);
    }
    const noData = bands.map((b) => info.bands[b - 1].noDataValue);
    const win: [number, number, number, number] = [window.x, window.y, window.x + window.width, window.y + window.height];
    const grey = bands.length === 1;
    const samples = (grey ? [bands[0], bands[0], bands[0]] : bands).map((b) => b - 1) as [number, number, number];
    const into: ByteRgbTarget = {
      samples,
      tables: (grey ? [tables[0], tables[0], tables[0]] : tables) as [Uint8Array, Uint8Array, Uint8Array],
      noData: noData.every((v) => v !== null) ? bands.map((b, k) => ({ sample: b - 1, value: noData[k] as number })) : [],
      alpha: alphaBand ? alphaBand - 1 : null,
      mask: level.maskReader ? level.maskReader.read(win, [0], window.width, window.height, o.signal).then((m) => m[0]) : null,
      rgb: o.rgb,
      valid: o.valid,
      rowStride: o.rowStride,
    };
    // A nodata value no byte can hold (NaN, -9999, 0.5) never matches: no pixel is nodata.
    if (into.noData.some((d) => !Number.isInteger(d.value) || d.value < 0 || d.value > 255)) into.noData = [];
    return level.reader.readByteRgb(win, into, o.signal).catch((err: unknown) => {
      throw corrupt(source, err);
    });
  }

  // Four corner blocks are decoded; a file of a few huge strips (one strip of 10 000² px) is not checked, so opening
  // it — `info`, an upload — never decodes most of the file.
  const blockBytes = info.blockWidth * info.blockHeight * info.bands.length * 8;
  if (opts.detectBlackCollar && !info.hasMask && info.bands.every((b) => b.noDataValue === null) && blockBytes <= COLLAR_MAX_BLOCK_BYTES) {
    const k = Math.min(COLLAR_CORNER_PX, info.width, info.height);
    const at: [number, number][] = [[0, 0], [info.width - k, 0], [0, info.height - k], [info.width - k, info.height - k]];
    let corners: RasterWindow[];
    try {
      corners = await Promise.all(at.map(([x, y]) => readWindow({ x, y, width: k, height: k }, { signal: openSignal })));
    } catch (err) {
      cache.clear();
      tiff.close();
      throw url && isTimeout(err, openSignal) ? timedOut() : err;
    }
    if (hasBlackCollar(corners)) {
      for (const band of info.bands) band.noDataValue = 0;
      info.blackCollar = true;
    }
  }

  return {
    info,
    readWindow,
    prefetch,
    readByteRgb,
    async close() {
      cache.clear();
      tiff.close();
    },
  };
}
