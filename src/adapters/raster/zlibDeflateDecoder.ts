/**
 * TIFF DEFLATE (compression 8 / 32946) blocks decoded with Node's native zlib instead of geotiff.js's
 * JavaScript inflate (pako): the same bytes, several times faster. Registered with geotiff.js's decoder
 * registry (`addDecoder`, its documented extension point) when this module is imported. A block zlib
 * rejects (truncated or corrupt stream) is handed to geotiff.js's own decoder, so errors and any partial
 * output are exactly what they were before.
 */
import { inflateSync } from 'node:zlib';
import { addDecoder, BaseDecoder, getDecoder } from 'geotiff';
import { BlockTooLargeError, maxBlockOutput } from './blockOutputLimit.ts';

const DEFLATE = [8, 32946];

// getDecoder looks the registry up synchronously, so this captures geotiff.js's own DEFLATE decoder
// before ours replaces it below.
const builtin = getDecoder(8, { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 } as never).then(
  (d) => d.constructor as new (parameters: unknown) => BaseDecoder,
);
builtin.catch(() => undefined);

export class ZlibDeflateDecoder extends BaseDecoder {
  override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBufferLike> {
    let out: Buffer;
    const maxOutputLength = maxBlockOutput((this as unknown as { parameters: unknown }).parameters);
    try {
      out = inflateSync(new Uint8Array(buffer), { maxOutputLength });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BlockTooLargeError('DEFLATE', maxOutputLength);
      const Builtin = await builtin;
      return new Builtin((this as unknown as { parameters: unknown }).parameters).decodeBlock(buffer);
    }
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}

addDecoder(DEFLATE, async () => ZlibDeflateDecoder as never, undefined, false);
