/**
 * TIFF LZW (compression 5) with a bounded output: geotiff.js's decoder (the same algorithm: MSB-first codes
 * of 9 to 12 bits, early change, clear 256, end 257) collects its output in a plain array with no limit, so a
 * hostile 16 KB block grew it past V8's array limit and aborted the process. This one writes into a byte
 * buffer that stops at the block's decoded size (`maxBlockOutput`), and keeps each dictionary entry as the place
 * in the output where its string already is, so a code is written by copying bytes rather than by walking a
 * prefix chain byte by byte (about twice as fast as geotiff.js's; the same bytes on every valid stream).
 * Registered with geotiff.js's decoder registry when imported; the predictor is applied by BaseDecoder as before.
 * It runs on the calling thread: a worker-thread pool for it was measured on the 2-core machine and did not
 * pay (docs/benchmarks.md, item 3).
 */
import { addDecoder, BaseDecoder } from 'geotiff';
import { BLOCK_OUTPUT_SLACK, BlockTooLargeError, maxBlockOutput } from './blockOutputLimit.ts';

const MIN_BITS = 9;
const MAX_BITS = 12;
const CLEAR = 256;
const EOI = 257;

/**
 * Decode one LZW stream into at most `maxOutput` bytes (BlockTooLargeError past it). Each dictionary entry is
 * kept as where its string already sits in the output (an entry is the previous string plus the first byte
 * that followed it, so it is the output from where that previous string was written), and emitting a code
 * copies those bytes: no per-byte chain walk. `expected` (the block's decoded size, when known) sizes the
 * output buffer so that a complete block is returned without a copy.
 */
export function decodeLzw(input: Uint8Array, maxOutput: number, expected = 0): Uint8Array {
  const offset = new Int32Array(4096);
  const length = new Int32Array(4096);
  let out = new Uint8Array(Math.min(maxOutput, expected > 0 ? expected : Math.max(1024, input.length * 4)));
  let n = 0;
  const inputLength = input.length;
  let dictLength = 258;
  let bits = MIN_BITS;
  let position = 0;
  /** The previous code (-1: none) and where its string was written. */
  let old = -1;
  let oldAt = 0;
  let cleared = false;
  for (;;) {
    // The `bits`-bit code at bit `position` (MSB first); EOI past the end of the input, as geotiff.js does.
    const a = position >>> 3;
    let code = EOI;
    if (a < inputLength) {
      const value = a + 2 < inputLength ? (input[a] << 16) | (input[a + 1] << 8) | input[a + 2] : (input[a] << 16) | ((a + 1 < inputLength ? input[a + 1] : 0) << 8);
      code = (value >>> (24 - (position & 7) - bits)) & ((1 << bits) - 1);
    }
    position += bits;
    if (code === EOI) break;
    if (code === CLEAR) {
      dictLength = 258;
      bits = MIN_BITS;
      old = -1;
      cleared = true;
      continue;
    }
    if (cleared) {
      // the first code after a clear must be a byte
      if (code > CLEAR) throw new Error(`corrupted code at scanline ${code}`);
      cleared = false;
    }
    // the string to write: `code`'s, or (KwKwK, code not yet in the dictionary) `old`'s plus its first byte
    const known = code < dictLength;
    if (!known && old === -1) throw new Error(`Invalid LZW code: ${code} with no previous code`);
    const src = known ? code : old;
    const len = src < 256 ? 1 : length[src];
    const total = known ? len : len + 1;
    if (n + total > maxOutput) throw new BlockTooLargeError('LZW', maxOutput);
    if (n + total > out.length) {
      const grown = new Uint8Array(Math.min(maxOutput, Math.max(out.length * 2, n + total)));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    const at = n;
    if (src < 256) {
      out[n++] = src;
    } else {
      const from = offset[src];
      if (len < 32) {
        for (let i = 0; i < len; i++) out[n + i] = out[from + i];
      } else {
        out.copyWithin(n, from, from + len);
      }
      n += len;
    }
    if (!known) out[n++] = out[at];
    if (old !== -1 && dictLength < 4096) {
      // the string of `old` plus the first byte written after it
      offset[dictLength] = oldAt;
      length[dictLength] = (old < 256 ? 1 : length[old]) + 1;
      dictLength++;
    }
    old = code;
    oldAt = at;
    if (dictLength + 1 >= 1 << bits) {
      if (bits === MAX_BITS) old = -1;
      else bits++;
    }
  }
  return n === out.length ? out : out.slice(0, n);
}

export class BoundedLzwDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const max = maxBlockOutput((this as unknown as { parameters: unknown }).parameters);
    return decodeLzw(new Uint8Array(buffer), max, max - BLOCK_OUTPUT_SLACK).buffer;
  }
}

addDecoder(5, async () => BoundedLzwDecoder as never, undefined, false);
