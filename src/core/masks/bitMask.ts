import type { WritableMaskRows } from './maskRows.ts';

/**
 * A binary raster at one bit per pixel (rows padded to whole bytes; bit x & 7 of byte y·stride + x >> 3), all
 * in memory (a 20000 × 20000 mask is 50 MB): as MaskRows, one block of every row.
 */
export class BitMask implements WritableMaskRows {
  readonly width: number;
  readonly height: number;
  /** Bytes per row. */
  readonly stride: number;
  readonly bits: Uint8Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.stride = (width + 7) >> 3;
    this.bits = new Uint8Array(this.stride * height);
  }

  get blockRows(): number {
    return Math.max(1, this.height);
  }

  block(): Uint8Array {
    return this.bits;
  }

  /** A mask from one byte per pixel (any non-zero byte is set). */
  static fromBytes(mask: ArrayLike<number>, width: number, height: number): BitMask {
    if (mask.length !== width * height) throw new RangeError(`mask has ${mask.length} pixels, expected ${width}x${height}`);
    const m = new BitMask(width, height);
    for (let y = 0; y < height; y++) m.setRow(y, mask, y * width);
    return m;
  }

  get(x: number, y: number): boolean {
    return x >= 0 && y >= 0 && x < this.width && y < this.height && ((this.bits[y * this.stride + (x >> 3)] >> (x & 7)) & 1) === 1;
  }

  /** Row y from `width` bytes of `row` starting at `offset` (non-zero = set). */
  setRow(y: number, row: ArrayLike<number>, offset = 0): void {
    packBitRow(row, offset, this.width, this.bits, y * this.stride);
  }

  /** Row y from `stride` bytes of `bits` starting at `offset`, packed as this mask lays rows out. */
  setPackedRow(y: number, bits: Uint8Array, offset = 0): void {
    this.bits.set(bits.subarray(offset, offset + this.stride), y * this.stride);
  }

  /** Nothing to release (the mask is in memory); lets a BitMask stand where a disk-backed mask is closed after use. */
  close(): void {}
}

/**
 * One row of a one-bit mask: `width` bytes of `row` from `offset` (non-zero = set) packed into `bits` from byte `base`
 * (bit x & 7 of byte base + x >> 3; the last byte's unused bits 0), as BitMask and the disk-backed mask lay rows out.
 */
export function packBitRow(row: ArrayLike<number>, offset: number, width: number, bits: Uint8Array, base: number): void {
  const stride = (width + 7) >> 3;
  for (let b = 0; b < stride; b++) {
    let byte = 0;
    const x0 = b << 3;
    const n = Math.min(8, width - x0);
    for (let k = 0; k < n; k++) if (row[offset + x0 + k]) byte |= 1 << k;
    bits[base + b] = byte;
  }
}
