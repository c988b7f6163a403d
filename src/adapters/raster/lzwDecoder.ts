/**
 * TIFF LZW (compression 5) with a bounded output: geotiff.js's decoder (the same algorithm: MSB-first codes
 * of 9 to 12 bits, early change, clear 256, end 257) collects its output in a plain array with no limit, so a
 * hostile 16 KB block grew it past V8's array limit and aborted the process. This one writes into a byte
 * buffer that stops at the block's decoded size (`maxBlockOutput`). Registered with geotiff.js's decoder
 * registry when imported; the predictor is applied by BaseDecoder as before.
 */
import { addDecoder, BaseDecoder } from 'geotiff';
import { BlockTooLargeError, maxBlockOutput } from './blockOutputLimit.ts';

const MIN_BITS = 9;
const MAX_BITS = 12;
const CLEAR = 256;
const EOI = 257;

/** The `bits`-bit code at bit `position` (MSB first); EOI past the end of the input, as geotiff.js does. */
function readCode(input: Uint8Array, position: number, bits: number): number {
  const a = position >>> 3;
  if (a >= input.length) return EOI;
  let value = 0;
  // up to three bytes hold a code of at most 12 bits
  for (let i = 0; i < 3; i++) value = (value << 8) | (a + i < input.length ? input[a + i] : 0);
  return (value >>> (24 - (position & 7) - bits)) & ((1 << bits) - 1);
}

export function decodeLzw(input: Uint8Array, maxOutput: number): Uint8Array {
  const prefix = new Uint16Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Uint16Array(4096);
  for (let i = 0; i < 256; i++) {
    prefix[i] = 4096;
    suffix[i] = i;
    length[i] = 1;
  }
  let out = new Uint8Array(Math.min(maxOutput, Math.max(1024, input.length * 4)));
  let n = 0;
  const emit = (code: number): number => {
    const len = length[code];
    if (n + len > maxOutput) throw new BlockTooLargeError('LZW', maxOutput);
    if (n + len > out.length) {
      const grown = new Uint8Array(Math.min(maxOutput, Math.max(out.length * 2, n + len)));
      grown.set(out.subarray(0, n));
      out = grown;
    }
    let c = code;
    for (let i = n + len - 1; i >= n; i--) {
      out[i] = suffix[c];
      c = prefix[c];
    }
    n += len;
    return out[n - len]; // first byte of the string
  };
  let dictLength = 258;
  let bits = MIN_BITS;
  let position = 0;
  const next = (): number => {
    const code = readCode(input, position, bits);
    position += bits;
    return code;
  };
  const add = (prev: number, first: number): void => {
    if (dictLength >= 4096) return;
    prefix[dictLength] = prev;
    suffix[dictLength] = first;
    length[dictLength] = length[prev] + 1;
    dictLength++;
  };
  let code = next();
  let old: number | undefined;
  while (code !== EOI) {
    if (code === CLEAR) {
      dictLength = 258;
      bits = MIN_BITS;
      code = next();
      while (code === CLEAR) code = next();
      if (code === EOI) break;
      if (code > CLEAR) throw new Error(`corrupted code at scanline ${code}`);
      emit(code);
      old = code;
    } else if (code < dictLength) {
      const first = emit(code);
      if (old !== undefined) add(old, first);
      old = code;
    } else {
      if (old === undefined) throw new Error(`Invalid LZW code: ${code} with no previous code`);
      // the KwKwK case: the string of `old` plus its own first byte
      const first = emit(old);
      if (n + 1 > maxOutput) throw new BlockTooLargeError('LZW', maxOutput);
      if (n + 1 > out.length) {
        const grown = new Uint8Array(Math.min(maxOutput, out.length * 2 + 1));
        grown.set(out.subarray(0, n));
        out = grown;
      }
      out[n++] = first;
      add(old, first);
      old = code;
    }
    if (dictLength + 1 >= 1 << bits) {
      if (bits === MAX_BITS) old = undefined;
      else bits++;
    }
    code = next();
  }
  return out.slice(0, n);
}

export class BoundedLzwDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    return decodeLzw(new Uint8Array(buffer), maxBlockOutput((this as unknown as { parameters: unknown }).parameters)).buffer;
  }
}

addDecoder(5, async () => BoundedLzwDecoder as never, undefined, false);
