/**
 * TIFF JPEG (compression 7) decoded by geotiff.js's own decoder, after a check that the JPEG frame is no
 * larger than the tile it fills: the decoder allocates the frame the JPEG header declares, so a hostile
 * tile claiming 65535 x 65535 pixels would allocate gigabytes. Registered with geotiff.js's decoder registry
 * when imported.
 */
import { addDecoder, BaseDecoder, getDecoder } from 'geotiff';
import { BlockTooLargeError } from './blockOutputLimit.ts';

type DecoderClass = new (parameters: unknown) => BaseDecoder;

// getDecoder looks the registry up synchronously: this captures geotiff.js's JPEG decoder before ours replaces it.
const builtin = getDecoder(7, { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 } as never).then((d) => d.constructor as DecoderClass);
builtin.catch(() => undefined);

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** Largest frame (width x height) declared in a JPEG stream before its first scan; 0 when none. */
export function jpegFramePixels(bytes: Uint8Array): number {
  let largest = 0;
  let i = 0;
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (SOF.has(marker) && i + 8 < bytes.length) {
      const height = (bytes[i + 5] << 8) | bytes[i + 6];
      const width = (bytes[i + 7] << 8) | bytes[i + 8];
      largest = Math.max(largest, width * height);
    }
    i += 2 + Math.max(2, length);
  }
  return largest;
}

export class BoundedJpegDecoder extends BaseDecoder {
  private inner: Promise<BaseDecoder> | undefined;

  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    const p = (this as unknown as { parameters: { tileWidth?: number; tileHeight?: number } }).parameters;
    const frame = jpegFramePixels(new Uint8Array(buffer));
    // A frame may be padded to whole MCUs (16 px) beyond its tile or strip; anything larger is not this block.
    const padded = (Number(p.tileWidth) + 16) * (Number(p.tileHeight) + 16);
    const limit = Number.isFinite(padded) && padded > 0 ? padded : 64 * 1024 * 1024;
    if (frame > limit) throw new BlockTooLargeError('JPEG', Math.round(limit));
    this.inner ??= builtin.then((Builtin) => new Builtin(p));
    return (await this.inner).decodeBlock(buffer);
  }
}

addDecoder(7, async () => BoundedJpegDecoder as never, undefined, false);
