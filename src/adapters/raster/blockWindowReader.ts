/**
 * Windowed reads of one GeoTIFF image (a resolution level or a mask) through a shared BlockCache of
 * decoded blocks, giving exactly the samples `GeoTIFFImage.readRasters` gives for the same window.
 *
 * - Every block the image decodes goes through the cache: the image's `getTileOrStrip` is wrapped, so
 *   even the general path (geotiff.js `readRasters`, used for bit-packed masks, big-endian multi-byte
 *   samples and mixed sample types) decodes a block once while it stays in the cache.
 * - The common case (byte-aligned samples of one type in native byte order, or one bit-packed sample such
 *   as a 1-bit mask, which geotiff.js unpacks to a byte per pixel when it decodes) is assembled here with typed
 *   array copies (`set` of whole block rows when a block holds one sample) instead of geotiff.js's
 *   per-pixel DataView reads, then resampled with the same nearest-neighbour rule as geotiff.js.
 */
import { getDecoder, type BaseDecoder, type GeoTIFFImage } from 'geotiff';
import type { SampleArray } from '../../core/rasterWindow.ts';
import type { BlockCache } from './blockCache.ts';

/** [x0, y0, x1, y1] in this image's pixels (x1, y1 exclusive). */
export type ImageWindow = [number, number, number, number];

export interface BlockWindowReader {
  /**
   * The 0-based `samples` of `window`, each resampled (nearest neighbour, geotiff.js's rule) to
   * outW x outH when that differs from the window size. Always fresh arrays (never views of the cache).
   */
  read(window: ImageWindow, samples: number[], outW: number, outH: number, signal?: AbortSignal): Promise<SampleArray[]>;
  /**
   * Start decoding the blocks of `window` that are not cached yet, without waiting (read-ahead: with decoders
   * that run off the main thread, they decode while the caller assembles other windows). Nothing happens when
   * the cache could not keep them; a failed decode is not kept, so the read that needs the block reports it.
   */
  prefetch(window: ImageWindow, samples: number[]): void;
  /** Whether `readByteRgb` can read this image: pixel-interleaved 8-bit samples (or one 8-bit sample). */
  readsByteRgb: boolean;
  /**
   * When `readsByteRgb`: the pixels of `window` (full resolution) straight from the decoded blocks into `into`
   * (see ByteRgbTarget), each channel through its lookup table, with no per-band window arrays. Returns how
   * many pixels are valid.
   */
  readByteRgb(window: ImageWindow, into: ByteRgbTarget, signal?: AbortSignal): Promise<number>;
  /** Bytes of decoded block row `y` (all samples) — for sizing caches. */
  blockRowBytes: number;
}

/**
 * Where `readByteRgb` writes, and how it decides validity. Window pixel (x, y) goes to pixel y * rowStride + x of
 * `rgb` (3 bytes: tables[c][sample samples[c]]) and `valid` (1); an invalid pixel is left as it was (0 in a
 * fresh tile). A pixel is invalid when every `noData` sample holds its value (none listed: never), when the
 * `alpha` sample is 0, or when `mask` (window-sized, row-major; awaited before any pixel is written, while the
 * blocks decode) is 0 there.
 */
export interface ByteRgbTarget {
  samples: [number, number, number];
  tables: [Uint8Array, Uint8Array, Uint8Array];
  noData: { sample: number; value: number }[];
  alpha: number | null;
  mask: Promise<SampleArray> | null;
  rgb: Uint8Array;
  valid: Uint8Array;
  rowStride: number;
}

type ArrayCtor = new (bufferOrLength: ArrayBuffer | number, byteOffset?: number, length?: number) => SampleArray;

function arrayType(format: number, bits: number): ArrayCtor | null {
  if (format === 1 || format === 2) {
    const signed = format === 2;
    if (bits === 8) return signed ? Int8Array : Uint8Array;
    if (bits === 16) return signed ? Int16Array : Uint16Array;
    if (bits === 32) return signed ? Int32Array : Uint32Array;
  }
  if (format === 3 && bits === 32) return Float32Array;
  if (format === 3 && bits === 64) return Float64Array;
  return null;
}

/** A TIFF tag value (absent, one number or an array) as a plain number list. */
export function toNumbers(v: unknown): number[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return [v];
  return Array.from(v as ArrayLike<number>);
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** geotiff.js's nearest-neighbour resampling (resample.js resampleNearest), index for index. */
function resampleNearest(src: SampleArray, inW: number, inH: number, outW: number, outH: number, Ctor: ArrayCtor): SampleArray {
  const out = new Ctor(outW * outH);
  const relX = inW / outW;
  const relY = inH / outH;
  const cols = new Int32Array(outW);
  for (let x = 0; x < outW; x++) cols[x] = Math.min(Math.round(relX * x), inW - 1);
  for (let y = 0; y < outH; y++) {
    const row = Math.min(Math.round(relY * y), inH - 1) * inW;
    const o = y * outW;
    for (let x = 0; x < outW; x++) out[o + x] = src[row + cols[x]];
  }
  return out;
}

/**
 * The decoder geotiff.js would build for this image (compression/index.js: default parameters, plus
 * JPEGTables / LercParameters / SamplesPerPixel for the codecs that take them).
 */
async function decoderFor(image: GeoTIFFImage): Promise<BaseDecoder> {
  const fd = image.fileDirectory;
  const compression = Number(fd.getValue('Compression') ?? 1);
  const tiled = !fd.hasTag('StripOffsets');
  const params: Record<string, unknown> = {
    tileWidth: tiled ? await fd.loadValue('TileWidth') : await fd.loadValue('ImageWidth'),
    tileHeight: tiled ? await fd.loadValue('TileLength') : (await fd.loadValue('RowsPerStrip')) || (await fd.loadValue('ImageLength')),
    planarConfiguration: await fd.loadValue('PlanarConfiguration'),
    bitsPerSample: await fd.loadValue('BitsPerSample'),
    predictor: (await fd.loadValue('Predictor')) || 1,
  };
  if (compression === 7) params.JPEGTables = await fd.loadValue('JPEGTables');
  if (compression === 34887) params.LercParameters = await fd.loadValue('LercParameters');
  if (compression === 50001) params.samplesPerPixel = Number(await fd.loadValue('SamplesPerPixel')) || 4;
  return getDecoder(compression, params as never);
}

/**
 * Copy the part [cx0, cx1) x [cy0, cy1) of one decoded block (origin bx, by; `tileW` px per row, `stride`
 * samples per pixel) into the window arrays (origin x0, y0; `ww` px per row): target k gets sample
 * offsets[k]. One pass over the block rows for every target; whole rows with `set` when a block holds one sample.
 */
function copyBlockRows(
  src: SampleArray, targets: SampleArray[], stride: number, offsets: number[], tileW: number, bx: number, by: number,
  x0: number, y0: number, ww: number, cx0: number, cx1: number, cy0: number, cy1: number,
): void {
  const n = cx1 - cx0;
  if (n <= 0) return;
  for (let y = cy0; y < cy1; y++) {
    const srcRow = (y - by) * tileW + (cx0 - bx);
    const dstRow = (y - y0) * ww + (cx0 - x0);
    if (stride === 1) {
      for (const t of targets) (t as Float64Array).set(src.subarray(srcRow, srcRow + n) as unknown as Float64Array, dstRow);
    } else if (targets.length === 3) {
      const [t0, t1, t2] = targets;
      const o0 = offsets[0];
      const o1 = offsets[1];
      const o2 = offsets[2];
      for (let x = 0, p = srcRow * stride, d = dstRow; x < n; x++, p += stride, d++) {
        t0[d] = src[p + o0];
        t1[d] = src[p + o1];
        t2[d] = src[p + o2];
      }
    } else {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[k];
        const o = offsets[k];
        for (let x = 0, p = srcRow * stride + o, d = dstRow; x < n; x++, p += stride, d++) t[d] = src[p];
      }
    }
  }
}

/**
 * readByteRgb for the part [cx0, cx1) x [cy0, cy1) of one decoded pixel-interleaved 8-bit block (origin bx, by;
 * `tileW` px per row, `stride` samples per pixel) of the window at (x0, y0) that is `ww` px wide. Returns the
 * number of valid pixels written.
 */
function fillByteRgb(
  src: Uint8Array, stride: number, into: ByteRgbTarget, mask: SampleArray | null, tileW: number, bx: number, by: number,
  x0: number, y0: number, ww: number, cx0: number, cx1: number, cy0: number, cy1: number,
): number {
  const n = cx1 - cx0;
  if (n <= 0) return 0;
  const { rgb, valid, rowStride } = into;
  const [t0, t1, t2] = into.tables;
  const [o0, o1, o2] = into.samples;
  const ndSamples = into.noData.map((d) => d.sample);
  const ndValues = into.noData.map((d) => d.value);
  const nd = ndSamples.length;
  const alpha = into.alpha ?? -1;
  const plain = nd === 0 && alpha < 0 && mask === null;
  let count = 0;
  for (let y = cy0; y < cy1; y++) {
    let p = ((y - by) * tileW + (cx0 - bx)) * stride;
    let m = (y - y0) * ww + (cx0 - x0);
    let v = (y - y0) * rowStride + (cx0 - x0);
    if (plain) {
      valid.fill(1, v, v + n);
      for (let d = v * 3, end = d + 3 * n; d < end; d += 3, p += stride) {
        rgb[d] = t0[src[p + o0]];
        rgb[d + 1] = t1[src[p + o1]];
        rgb[d + 2] = t2[src[p + o2]];
      }
      count += n;
      continue;
    }
    for (let x = 0; x < n; x++, p += stride, m++, v++) {
      if (mask !== null && mask[m] === 0) continue;
      if (alpha >= 0 && src[p + alpha] === 0) continue;
      if (nd > 0) {
        let all = true;
        for (let k = 0; k < nd; k++) {
          if (src[p + ndSamples[k]] !== ndValues[k]) {
            all = false;
            break;
          }
        }
        if (all) continue;
      }
      valid[v] = 1;
      const d = v * 3;
      rgb[d] = t0[src[p + o0]];
      rgb[d + 1] = t1[src[p + o1]];
      rgb[d + 2] = t2[src[p + o2]];
      count++;
    }
  }
  return count;
}

export function createBlockWindowReader(image: GeoTIFFImage, cache: BlockCache<ArrayBufferLike>, id: string): BlockWindowReader {
  const fd = image.fileDirectory;
  const spp = image.getSamplesPerPixel();
  const bits = toNumbers(fd.getValue('BitsPerSample'));
  const formats = toNumbers(fd.getValue('SampleFormat'));
  const planar = image.planarConfiguration;
  const tileW = image.getTileWidth();
  const tileH = image.getTileHeight();
  const imageW = image.getWidth();
  const imageH = image.getHeight();
  const tilesAcross = Math.ceil(imageW / tileW);
  const tilesDown = Math.ceil(imageH / tileH);
  const sampleBytes = Array.from({ length: spp }, (_, i) => Math.ceil((bits[i] ?? bits[0] ?? 8) / 8));
  const pixelBytes = sampleBytes.reduce((a, b) => a + b, 0);

  // Fast path: every sample the same byte-aligned type that needs no bit unpacking, in native order.
  const format0 = formats[0] ?? 1;
  const bits0 = bits[0] ?? 8;
  const uniform = Array.from({ length: spp }, (_, i) => (formats[i] ?? format0) === format0 && (bits[i] ?? bits0) === bits0).every(Boolean);
  // One bit-packed unsigned sample (e.g. a 1-bit mask): geotiff.js unpacks each block to one byte per pixel.
  const unpacked = spp === 1 && format0 === 1 && bits0 < 8;
  const Ctor = uniform ? (arrayType(format0, bits0) ?? (unpacked ? Uint8Array : null)) : null;
  const elementBytes = Ctor ? (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
  const fast = Ctor !== null && (image.littleEndian || elementBytes === 1);

  let decoder: Promise<BaseDecoder> | null = null;
  /** Decoded bytes of one row of blocks across the image (every sample). */
  const blockRowBytes = tilesAcross * tileW * tileH * pixelBytes;
  const original = image.getTileOrStrip.bind(image);

  function blockBytes(y: number): number {
    return tileW * image.getBlockHeight(y) * (planar === 2 ? Math.max(...sampleBytes) : pixelBytes);
  }

  async function cachedBlock(x: number, y: number, sample: number, load: () => Promise<ArrayBufferLike>, signal?: AbortSignal): Promise<ArrayBufferLike> {
    const key = `${id}:${x}:${y}:${planar === 2 ? sample : 0}`;
    try {
      return await cache.get(key, blockBytes(y), load);
    } catch (err) {
      // Another read's cancellation must not fail this read: decode again under our own signal.
      if (isAbort(err) && !signal?.aborted) {
        cache.remove(key);
        return cache.get(key, blockBytes(y), load);
      }
      throw err;
    }
  }

  // Route geotiff.js's own block fetches (readRasters) through the cache too.
  image.getTileOrStrip = async (x, y, sample, poolOrDecoder, signal) => {
    const data = await cachedBlock(x, y, sample, async () => (await original(x, y, sample, poolOrDecoder, signal)).data, signal);
    return { x, y, sample, data };
  };

  async function block(x: number, y: number, sample: number, signal?: AbortSignal): Promise<ArrayBufferLike> {
    return cachedBlock(x, y, sample, async () => {
      decoder ??= decoderFor(image);
      return (await original(x, y, sample, await decoder, signal)).data;
    }, signal);
  }

  function prefetch(win: ImageWindow, samples: number[]): void {
    // Three block rows of room at least, so read-ahead never pushes out the blocks being read now.
    if (cache.maxBytes < 3 * blockRowBytes) return;
    const [x0, y0, x1, y1] = win;
    const minYT = Math.max(Math.floor(y0 / tileH), 0);
    const maxYT = Math.min(Math.ceil(y1 / tileH), tilesDown);
    const minXT = Math.max(Math.floor(x0 / tileW), 0);
    const maxXT = Math.min(Math.ceil(x1 / tileW), tilesAcross);
    for (let yt = minYT; yt < maxYT; yt++) {
      for (let xt = minXT; xt < maxXT; xt++) {
        for (const sample of planar === 2 ? samples : [0]) {
          if (cache.has(`${id}:${xt}:${yt}:${sample}`)) continue;
          block(xt, yt, sample).catch(() => undefined);
        }
      }
    }
  }

  async function readFast(win: ImageWindow, samples: number[], signal: AbortSignal | undefined, C: ArrayCtor): Promise<SampleArray[]> {
    const [x0, y0, x1, y1] = win;
    const ww = x1 - x0;
    const outs = samples.map(() => new C(ww * (y1 - y0)));
    const minXT = Math.max(Math.floor(x0 / tileW), 0);
    const maxXT = Math.min(Math.ceil(x1 / tileW), tilesAcross);
    const minYT = Math.max(Math.floor(y0 / tileH), 0);
    const maxYT = Math.min(Math.ceil(y1 / tileH), tilesDown);

    const copy = (buffer: ArrayBufferLike, xt: number, yt: number, targets: SampleArray[], stride: number, offsets: number[]): void => {
      const src = new C(buffer as ArrayBuffer, 0, Math.floor(buffer.byteLength / elementBytes));
      const bx = xt * tileW;
      const by = yt * tileH;
      const cx0 = Math.max(x0, bx);
      const cx1 = Math.min(x1, bx + tileW, imageW);
      const cy0 = Math.max(y0, by);
      const cy1 = Math.min(y1, by + image.getBlockHeight(yt), imageH);
      copyBlockRows(src, targets, stride, offsets, tileW, bx, by, x0, y0, ww, cx0, cx1, cy0, cy1);
    };

    const jobs: Promise<void>[] = [];
    for (let yt = minYT; yt < maxYT; yt++) {
      for (let xt = minXT; xt < maxXT; xt++) {
        if (planar === 1) {
          jobs.push(block(xt, yt, 0, signal).then((buf) => copy(buf, xt, yt, outs, spp, samples)));
        } else {
          for (let k = 0; k < samples.length; k++) jobs.push(block(xt, yt, samples[k], signal).then((buf) => copy(buf, xt, yt, [outs[k]], 1, [0])));
        }
      }
    }
    await Promise.all(jobs);
    return outs;
  }

  /** Pixel-interleaved Byte blocks (or one Byte sample): what readByteRgb reads. */
  const interleavedBytes = fast && Ctor === Uint8Array && !unpacked && (planar === 1 || spp === 1);

  async function readByteRgb(win: ImageWindow, into: ByteRgbTarget, signal?: AbortSignal): Promise<number> {
    if (!interleavedBytes) throw new Error('readByteRgb needs pixel-interleaved 8-bit samples');
    const [x0, y0, x1, y1] = win;
    const ww = x1 - x0;
    const minXT = Math.max(Math.floor(x0 / tileW), 0);
    const maxXT = Math.min(Math.ceil(x1 / tileW), tilesAcross);
    const minYT = Math.max(Math.floor(y0 / tileH), 0);
    const maxYT = Math.min(Math.ceil(y1 / tileH), tilesDown);
    const blocks: { xt: number; yt: number; buffer: Promise<ArrayBufferLike> }[] = [];
    for (let yt = minYT; yt < maxYT; yt++) {
      for (let xt = minXT; xt < maxXT; xt++) blocks.push({ xt, yt, buffer: block(xt, yt, 0, signal) });
    }
    let mask: SampleArray | null = null;
    try {
      if (into.mask) mask = await into.mask;
    } catch (err) {
      for (const b of blocks) b.buffer.catch(() => undefined);
      throw err;
    }
    const jobs = blocks.map(({ xt, yt, buffer }) => buffer.then((buf) => {
      const bx = xt * tileW;
      const by = yt * tileH;
      const cx1 = Math.min(x1, bx + tileW, imageW);
      const cy1 = Math.min(y1, by + image.getBlockHeight(yt), imageH);
      return fillByteRgb(new Uint8Array(buf as ArrayBuffer), spp, into, mask, tileW, bx, by, x0, y0, ww, Math.max(x0, bx), cx1, Math.max(y0, by), cy1);
    }));
    return (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
  }

  return {
    blockRowBytes,
    prefetch,
    readsByteRgb: interleavedBytes,
    readByteRgb,
    async read(win, samples, outW, outH, signal) {
      const [x0, y0, x1, y1] = win;
      const resample = x1 - x0 !== outW || y1 - y0 !== outH;
      if (fast && Ctor) {
        const full = await readFast(win, samples, signal, Ctor);
        return resample ? full.map((a) => resampleNearest(a, x1 - x0, y1 - y0, outW, outH, Ctor)) : full;
      }
      const opts = { window: win, samples, signal, ...(resample ? { width: outW, height: outH, resampleMethod: 'nearest' } : {}) };
      return (await image.readRasters(opts as never)) as unknown as SampleArray[];
    },
  };
}
