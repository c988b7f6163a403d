/**
 * A TIFF's structure checked before anything decodes it, so that a hostile or broken file ends in one
 * clear error instead of a hang or a runaway allocation: the IFD chain is acyclic and at most `maxIfds`
 * long, every IFD and tag value lies inside the file, every image's size, block (strip/tile) count and
 * decoded block size are within `TiffLimits`, and every strip/tile offset + byte count lies inside the file.
 *
 * It reads only the header, the IFDs and the offset/byte-count arrays (through `read`, so local files and
 * range-read URLs share it); geotiff.js then parses the same, already-checked structure.
 */
import { notTiffError } from '../../core/fileSignature.ts';
import { InputError, TooLargeError } from '../../core/errors.ts';

export interface TiffLimits {
  /** Largest image (pixels per band) in any IFD. */
  maxPixels: number;
  /** Most strips or tiles in any IFD (all samples, for planar files). */
  maxBlocks: number;
  /** Most IFDs (images: full resolution, overviews, masks) in the chain. */
  maxIfds: number;
  /** Largest decoded strip or tile, in bytes. */
  maxBlockBytes: number;
}

/** The limits when nobody sets them (the CLI; the server overrides pixels and blocks from its settings). */
export const DEFAULT_TIFF_LIMITS: TiffLimits = {
  maxPixels: 4_000_000_000,
  maxBlocks: 4 * 1024 * 1024,
  maxIfds: 256,
  maxBlockBytes: 512 * 1024 * 1024,
};

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadBytes = (offset: number, length: number) => Promise<Uint8Array>;

export interface TiffStructure {
  bigTiff: boolean;
  littleEndian: boolean;
  /** IFDs in chain order (the first is the full-resolution image). */
  ifds: { offset: number; width: number; height: number; blocks: number }[];
}

const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
const MAX_ENTRIES = 4096;
const MAX_SAMPLES = 1024;

const TAG = {
  ImageWidth: 256, ImageLength: 257, BitsPerSample: 258, StripOffsets: 273, SamplesPerPixel: 277, RowsPerStrip: 278,
  StripByteCounts: 279, PlanarConfiguration: 284, TileWidth: 322, TileLength: 323, TileOffsets: 324, TileByteCounts: 325,
} as const;

interface Entry {
  tag: number;
  type: number;
  count: number;
  /** Absolute offset of the value bytes (inline values: inside the entry). */
  valueOffset: number;
  bytes: number;
}

function malformed(name: string, what: string): InputError {
  return new InputError('malformed_tiff', `${name}: malformed TIFF structure: ${what}`, { hint: 'the file is corrupt or not a TIFF written by a GIS tool; re-export it, e.g. gdal_translate -of COG in.tif out.tif' });
}

/**
 * Check the structure of the TIFF read through `read` (`size`: the file's length in bytes, or null when it
 * is unknown, e.g. a URL without a length). Throws InputError (`malformed_tiff`, `not_tiff`) or
 * TooLargeError (`scene_too_large`) naming what is wrong.
 */
export async function checkTiffStructure(read: ReadBytes, size: number | null, name: string, limits: TiffLimits = DEFAULT_TIFF_LIMITS): Promise<TiffStructure> {
  const inFile = (offset: number, bytes: number): boolean => Number.isSafeInteger(offset) && offset >= 0 && (size === null || offset + bytes <= size);
  const header = await read(0, 16);
  if (header.length < 8) throw new InputError('not_tiff', `${name}: not a TIFF/GeoTIFF file (only ${header.length} bytes)`, { hint: 'pass a GeoTIFF or COG' });
  const order = String.fromCharCode(header[0], header[1]);
  if (order !== 'II' && order !== 'MM') {
    throw notTiffError(name, header) ?? new InputError('not_tiff', `${name}: not a TIFF/GeoTIFF file (no II/MM byte-order mark)`, { hint: 'pass a GeoTIFF or COG' });
  }
  const le = order === 'II';
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const h = view(header);
  const magic = h.getUint16(2, le);
  if (magic !== 42 && magic !== 43) throw new InputError('not_tiff', `${name}: not a TIFF/GeoTIFF file (version ${magic}, expected 42 or 43)`, { hint: 'pass a GeoTIFF or COG' });
  const big = magic === 43;
  if (big && header.length < 16) throw malformed(name, 'BigTIFF header is truncated');
  const u64 = (d: DataView, at: number): number => {
    const v = d.getBigUint64(at, le);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  };
  const offsetSize = big ? 8 : 4;
  const readOffset = (d: DataView, at: number): number => (big ? u64(d, at) : d.getUint32(at, le));

  /** A tag's values as numbers (integer types only; at most `max` of them). */
  const values = async (e: Entry, max: number): Promise<number[]> => {
    if (e.count > max) throw new TooLargeError('scene_too_large', `${name}: tag ${e.tag} has ${e.count} values, more than the ${max} allowed`, { hint: 'check the file; split very large scenes with gdal_translate -srcwin' });
    const d = view(await read(e.valueOffset, e.bytes));
    if (d.byteLength < e.bytes) throw malformed(name, `tag ${e.tag} runs past the end of the file`);
    const out: number[] = new Array<number>(e.count);
    for (let i = 0; i < e.count; i++) {
      switch (e.type) {
        case 1: case 7: out[i] = d.getUint8(i); break;
        case 3: out[i] = d.getUint16(i * 2, le); break;
        case 4: case 13: out[i] = d.getUint32(i * 4, le); break;
        case 16: case 18: out[i] = u64(d, i * 8); break;
        default: throw malformed(name, `tag ${e.tag} has type ${e.type}, expected an unsigned integer type`);
      }
    }
    return out;
  };

  const structure: TiffStructure = { bigTiff: big, littleEndian: le, ifds: [] };
  const seen = new Set<number>();
  let next = readOffset(h, big ? 8 : 4);
  while (next !== 0) {
    if (structure.ifds.length >= limits.maxIfds) throw malformed(name, `more than ${limits.maxIfds} IFDs (images) in the chain`);
    if (seen.has(next)) throw malformed(name, `the IFD chain loops back to byte ${next}`);
    seen.add(next);
    const countBytes = big ? 8 : 2;
    if (!inFile(next, countBytes)) throw malformed(name, `IFD ${structure.ifds.length} at byte ${next} is outside the ${size ?? '?'}-byte file`);
    const countView = view(await read(next, countBytes));
    if (countView.byteLength < countBytes) throw malformed(name, `IFD ${structure.ifds.length} at byte ${next} is outside the file`);
    const n = big ? u64(countView, 0) : countView.getUint16(0, le);
    if (n === 0 || n > MAX_ENTRIES) throw malformed(name, `IFD ${structure.ifds.length} has ${n} entries`);
    const entrySize = big ? 20 : 12;
    const tableBytes = n * entrySize + offsetSize;
    if (!inFile(next + countBytes, tableBytes)) throw malformed(name, `IFD ${structure.ifds.length} (${n} entries) runs past the end of the file`);
    const table = view(await read(next + countBytes, tableBytes));
    if (table.byteLength < tableBytes) throw malformed(name, `IFD ${structure.ifds.length} runs past the end of the file`);
    const entries = new Map<number, Entry>();
    for (let i = 0; i < n; i++) {
      const at = i * entrySize;
      const tag = table.getUint16(at, le);
      const type = table.getUint16(at + 2, le);
      const count = big ? u64(table, at + 4) : table.getUint32(at + 4, le);
      const typeSize = TYPE_SIZES[type];
      if (typeSize === undefined) continue; // unknown types are skipped by readers (TIFF 6.0)
      const bytes = count * typeSize;
      const inline = bytes <= offsetSize;
      const valueOffset = inline ? next + countBytes + at + (big ? 12 : 8) : readOffset(table, at + (big ? 12 : 8));
      if (!Number.isSafeInteger(bytes) || !inFile(valueOffset, bytes)) {
        throw malformed(name, `tag ${tag} (${count} values) at byte ${valueOffset} lies outside the ${size ?? '?'}-byte file`);
      }
      entries.set(tag, { tag, type, count, valueOffset, bytes });
    }
    const one = async (tag: number): Promise<number | undefined> => {
      const e = entries.get(tag);
      if (!e || e.count === 0) return undefined;
      // Size and layout tags hold one value (readers given several disagree on which counts).
      if (e.count !== 1) throw malformed(name, `IFD ${structure.ifds.length} has ${e.count} values for tag ${tag}, which takes one`);
      return (await values({ ...e, count: 1, bytes: TYPE_SIZES[e.type] }, 1))[0];
    };
    const index = structure.ifds.length;
    const width = await one(TAG.ImageWidth);
    const height = await one(TAG.ImageLength);
    if (!width || !height) throw malformed(name, `IFD ${index} has no image size (ImageWidth x ImageLength = ${width ?? 0}x${height ?? 0})`);
    if (width * height > limits.maxPixels) {
      throw new TooLargeError('scene_too_large', `${name}: header claims ${width}x${height} pixels${index ? ` in IFD ${index}` : ''}, more than the ${limits.maxPixels} allowed`, {
        hint: 'check the file; split very large scenes with gdal_translate -srcwin',
      });
    }
    const spp = (await one(TAG.SamplesPerPixel)) ?? 1;
    if (spp < 1 || spp > MAX_SAMPLES) throw malformed(name, `IFD ${index} has ${spp} samples per pixel`);
    const bitsEntry = entries.get(TAG.BitsPerSample);
    const bits = bitsEntry ? await values(bitsEntry, MAX_SAMPLES) : [1];
    if (bits.some((b) => b < 1 || b > 64)) throw malformed(name, `IFD ${index} has BitsPerSample ${bits.join(',')}`);
    const planar = (await one(TAG.PlanarConfiguration)) ?? 1;
    const tiled = entries.has(TAG.TileOffsets);
    let blockW: number;
    let blockH: number;
    if (tiled) {
      blockW = (await one(TAG.TileWidth)) ?? 0;
      blockH = (await one(TAG.TileLength)) ?? 0;
      if (!blockW || !blockH) throw malformed(name, `IFD ${index} is tiled with a ${blockW}x${blockH} tile size`);
    } else {
      if (!entries.has(TAG.StripOffsets)) throw malformed(name, `IFD ${index} has neither StripOffsets nor TileOffsets`);
      blockW = width;
      const rows = (await one(TAG.RowsPerStrip)) ?? height;
      if (!rows) throw malformed(name, `IFD ${index} has RowsPerStrip 0`);
      blockH = Math.min(rows, height);
    }
    const across = Math.ceil(width / blockW);
    const down = Math.ceil(height / blockH);
    const blocks = across * down * (planar === 2 ? spp : 1);
    if (blocks > limits.maxBlocks) {
      throw new TooLargeError('scene_too_large', `${name}: IFD ${index} has ${blocks} ${tiled ? 'tiles' : 'strips'}, more than the ${limits.maxBlocks} allowed`, {
        hint: 're-tile it, e.g. gdal_translate -co TILED=YES -co BLOCKXSIZE=512 -co BLOCKYSIZE=512 in.tif out.tif',
      });
    }
    const sampleBytes = (i: number): number => Math.ceil((bits[i] ?? bits[0]) / 8);
    const pixelBytes = planar === 2 ? Math.max(...Array.from({ length: spp }, (_, i) => sampleBytes(i))) : Array.from({ length: spp }, (_, i) => sampleBytes(i)).reduce((a, b) => a + b, 0);
    const blockBytes = blockW * blockH * pixelBytes;
    if (blockBytes > limits.maxBlockBytes) {
      throw new TooLargeError('scene_too_large', `${name}: IFD ${index} has ${blockW}x${blockH}-pixel ${tiled ? 'tiles' : 'strips'} (${blockBytes} bytes decoded each), more than the ${limits.maxBlockBytes} allowed`, {
        hint: 're-tile it, e.g. gdal_translate -co TILED=YES in.tif out.tif',
      });
    }
    const offsetsEntry = entries.get(tiled ? TAG.TileOffsets : TAG.StripOffsets);
    const countsEntry = entries.get(tiled ? TAG.TileByteCounts : TAG.StripByteCounts);
    const kind = tiled ? 'tile' : 'strip';
    if (!offsetsEntry || !countsEntry) throw malformed(name, `IFD ${index} has ${kind} offsets without ${kind} byte counts`);
    if (offsetsEntry.count < blocks || countsEntry.count < blocks) {
      throw malformed(name, `IFD ${index} lists ${Math.min(offsetsEntry.count, countsEntry.count)} ${kind} offsets/byte counts for ${blocks} ${kind}s`);
    }
    const offsets = await values({ ...offsetsEntry, count: blocks, bytes: blocks * TYPE_SIZES[offsetsEntry.type] }, limits.maxBlocks);
    const counts = await values({ ...countsEntry, count: blocks, bytes: blocks * TYPE_SIZES[countsEntry.type] }, limits.maxBlocks);
    if (size !== null) {
      for (let i = 0; i < blocks; i++) {
        if (counts[i] > 0 && !inFile(offsets[i], counts[i])) {
          throw new InputError('truncated_tiff', `${name}: truncated TIFF (IFD ${index} ${kind} ${i} at byte ${offsets[i]} + ${counts[i]} bytes runs past the end of the ${size}-byte file)`, {
            hint: 're-download or re-export the file',
          });
        }
      }
    }
    structure.ifds.push({ offset: next, width, height, blocks });
    next = readOffset(table, n * entrySize);
    if (!Number.isFinite(next)) throw malformed(name, `IFD ${index} points to a next IFD beyond 2^53`);
  }
  if (structure.ifds.length === 0) throw malformed(name, 'no image (the first IFD offset is 0)');
  return structure;
}
