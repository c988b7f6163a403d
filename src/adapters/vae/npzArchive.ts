/**
 * Reads NumPy `.npz` archives (a zip of `.npy` files, stored or deflated) into typed arrays, with fflate.
 * Supports little-endian float32/float64/int32/int64 C-ordered arrays, which is what `np.savez` writes for
 * checkpoints such as big_vision's `vae-oid.npz`.
 */
import { unzipSync } from 'fflate';
import { ModelError } from '../../core/errors.ts';

export interface NpyArray {
  shape: number[];
  /** Values as float32 (checkpoints are float32; other dtypes are converted). */
  data: Float32Array;
  dtype: string;
}

export function readNpz(bytes: Uint8Array, source: string): Map<string, NpyArray> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new ModelError('npz_unreadable', `${source} is not a readable .npz (zip) archive: ${(err as Error).message}`, {
      hint: 'the file may be truncated; download it again',
      cause: err,
    });
  }
  const out = new Map<string, NpyArray>();
  for (const [name, data] of Object.entries(entries)) {
    if (!name.endsWith('.npy')) continue;
    out.set(name.slice(0, -4), readNpy(data, `${source}:${name}`));
  }
  return out;
}

export function readNpy(bytes: Uint8Array, source: string): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new ModelError('npy_bad_magic', `${source} is not a .npy array`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new ModelError('npy_bad_header', `${source}: unreadable .npy header ${header.trim()}`);
  if (fortran === 'True') throw new ModelError('npy_fortran_order', `${source}: Fortran-ordered arrays are not supported`, { hint: 'save it with np.ascontiguousarray' });
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = headerStart + headerLen;
  const body = bytes.slice(start); // copy: aligned buffer of its own
  const need = (n: number) => {
    if (body.byteLength < count * n) throw new ModelError('npy_truncated', `${source}: ${body.byteLength} data bytes, ${count * n} expected for shape [${shape.join(',')}]`);
  };
  let data: Float32Array;
  switch (descr) {
    case '<f4': need(4); data = new Float32Array(body.buffer, 0, count); break;
    case '<f8': need(8); data = Float32Array.from(new Float64Array(body.buffer, 0, count)); break;
    case '<i4': need(4); data = Float32Array.from(new Int32Array(body.buffer, 0, count)); break;
    case '<i8': need(8); data = Float32Array.from(new BigInt64Array(body.buffer, 0, count), Number); break;
    default: throw new ModelError('npy_dtype', `${source}: dtype ${descr} is not supported (float32 expected)`);
  }
  return { shape, data, dtype: descr };
}
