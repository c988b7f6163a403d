/**
 * TIFF DEFLATE (compression 8 / 32946) blocks decoded with Node's native zlib instead of geotiff.js's
 * JavaScript inflate (pako): the same bytes, several times faster, and on libuv's thread pool (zlib's async
 * API, output in one chunk of the block's size) so the main thread assembles other tiles meanwhile. Registered with geotiff.js's decoder
 * registry (`addDecoder`, its documented extension point) when this module is imported. A block zlib
 * rejects (truncated or corrupt stream) is handed to geotiff.js's own decoder, so errors and any partial
 * output are exactly what they were before.
 */
import { inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { addDecoder, BaseDecoder, getDecoder } from 'geotiff';
import { BlockTooLargeError, maxBlockOutput } from './blockOutputLimit.ts';

const DEFLATE = [8, 32946];
const inflateAsync = promisify(inflate);
/** Largest output chunk zlib allocates up front (a block decoding to more is collected in several). */
const MAX_CHUNK = 16 * 1024 * 1024;

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
      // One chunk of exactly the block's decoded size: zlib hands back that buffer without a copy.
      const chunkSize = Math.max(64 * 1024, Math.min(MAX_CHUNK, maxOutputLength - 65536));
      out = await inflateAsync(new Uint8Array(buffer), { maxOutputLength, chunkSize });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BlockTooLargeError('DEFLATE', maxOutputLength);
      const Builtin = await builtin;
      return new Builtin((this as unknown as { parameters: unknown }).parameters).decodeBlock(buffer);
    }
    if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) return out.buffer;
    return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}

addDecoder(DEFLATE, async () => ZlibDeflateDecoder as never, undefined, false);
