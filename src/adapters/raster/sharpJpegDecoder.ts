/**
 * TIFF JPEG (compression 7) blocks decoded by libvips/libjpeg-turbo through sharp instead of geotiff.js's
 * JavaScript decoder: several times faster, off the main thread (libuv's pool), and the same decoder
 * family as GDAL's. The block's abbreviated stream is joined with the file's JPEGTables into one JPEG.
 * libjpeg returns what the file means: RGB for YCbCr-photometric files (openScene must then not convert
 * again: `JPEG_BLOCKS_ARE_RGB`), the plain samples otherwise. Anything unusual (not 8-bit, not 1 or 3
 * samples, a size other than the block's) or a stream libjpeg refuses goes to geotiff.js's own decoder,
 * so errors are what they were. Registered with geotiff.js's decoder registry when imported; the decoder
 * registered for compression 7 before this module (e.g. jpegDecoder.ts's bounded one) is the fallback.
 */
import type sharpModule from 'sharp';
import { addDecoder, BaseDecoder, getDecoder } from 'geotiff';

/** Blocks of YCbCr JPEG TIFFs come back as RGB (geotiff.js's decoder gave Y, Cb, Cr). */
export const JPEG_BLOCKS_ARE_RGB = true;

interface JpegParameters {
  tileWidth: number;
  tileHeight: number;
  bitsPerSample?: number | ArrayLike<number>;
  planarConfiguration?: number;
  JPEGTables?: Uint8Array;
  /** Set by openScene's reader: samples per block (1 for planar files). */
  samplesPerPixel?: number;
}

/** sharp (libvips), loaded with the first JPEG block: commands reading other files do not pay its start. */
let sharpLoaded: Promise<typeof sharpModule> | null = null;
const loadSharp = (): Promise<typeof sharpModule> => (sharpLoaded ??= import('sharp').then((m) => m.default));

const builtin = getDecoder(7, { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 } as never).then(
  (d) => d.constructor as new (parameters: unknown) => BaseDecoder,
);
builtin.catch(() => undefined);

/** One JPEG from the tables stream (SOI … EOI) and an abbreviated block stream (SOI … EOI). */
export function joinJpegTables(tables: Uint8Array | undefined, block: Uint8Array): Uint8Array {
  if (!tables || tables.length < 4 || block.length < 4) return block;
  const out = new Uint8Array(tables.length - 2 + block.length - 2);
  out.set(tables.subarray(0, tables.length - 2), 0);
  out.set(block.subarray(2), tables.length - 2);
  return out;
}

export class SharpJpegDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const p = (this as unknown as { parameters: JpegParameters }).parameters;
    const bits = typeof p.bitsPerSample === 'object' ? Array.from(p.bitsPerSample) : [Number(p.bitsPerSample ?? 8)];
    if (bits.every((b) => b === 8)) {
      try {
        const jpeg = joinJpegTables(p.JPEGTables, new Uint8Array(buffer));
        // libvips refuses a frame larger than the block before decoding it (a hostile header cannot make it allocate more)
        const sharp = await loadSharp();
        const { data, info } = await sharp(jpeg, { failOn: 'error', limitInputPixels: Math.max(1, p.tileWidth * p.tileHeight) }).raw().toBuffer({ resolveWithObject: true });
        const channels = p.planarConfiguration === 2 ? 1 : bits.length;
        if ((info.channels === 1 || info.channels === 3) && info.channels === channels && info.width === p.tileWidth && info.height <= p.tileHeight) {
          // sharp hands back a buffer of exactly the decoded pixels: no copy then.
          if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data.buffer;
          return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
        }
      } catch {
        // refused by libjpeg: geotiff.js's decoder gives the error (or what it can)
      }
    }
    const Builtin = await builtin;
    return new Builtin(p).decodeBlock(buffer);
  }
}

addDecoder(7, async () => SharpJpegDecoder as never, undefined, false);
