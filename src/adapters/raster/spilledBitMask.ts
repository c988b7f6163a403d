/**
 * A one-bit mask (BitMask's layout) written once, top to bottom, into a temporary file in blocks of rows, and
 * read back by block (MaskRows) through a small cache of blocks: a scene-size water mask costs disk, not
 * memory (a 20000² scene: 50 MB of file, about 5 MiB in memory). segmentScene traces it while it is written:
 * the rows of the block being written are read from memory, whole blocks from the file (or the cache).
 * The file lives in the system temp directory (or `tmpDir`) and is removed by `close()`, or when the thread exits
 * (TempSpillFile).
 */
import { packBitRow } from '../../core/masks/bitMask.ts';
import type { WritableMaskRows } from '../../core/masks/maskRows.ts';
import { TempSpillFile } from './tempSpillFile.ts';

/** Rows per block. */
const BLOCK_ROWS = 64;
/** Blocks read back are cached up to about this many bytes by default (at least 4 blocks). */
const CACHE_BYTES = 4 * 1024 * 1024;

export class SpilledBitMask implements WritableMaskRows {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly blockRows = BLOCK_ROWS;
  private readonly blockBytes: number;
  private rowsWritten = 0;
  /** The block rows are being written into (block index rowsWritten / BLOCK_ROWS). */
  private writing: Uint8Array;
  /** Blocks read back (or just written), in the order they came in. */
  private readonly cache = new Map<number, Uint8Array>();
  /**
   * The last two blocks asked for (never pushed out of the cache, as MaskRows promises): asked for again, as the
   * tracer does at each step to another row, they are answered from here without touching the Map (a Map entry
   * deleted and set again per call made the Map rehash its table every few calls).
   */
  private lastB = -1;
  private lastBits: Uint8Array | null = null;
  private prevB = -1;
  private prevBits: Uint8Array | null = null;
  private readonly cacheBlocks: number;
  private readonly file: TempSpillFile;

  constructor(width: number, height: number, options: { cacheBytes?: number; tmpDir?: string } = {}) {
    this.width = width;
    this.height = height;
    this.stride = (width + 7) >> 3;
    this.blockBytes = this.stride * BLOCK_ROWS;
    this.cacheBlocks = Math.max(4, Math.floor((options.cacheBytes ?? CACHE_BYTES) / Math.max(1, this.blockBytes)));
    this.writing = new Uint8Array(this.blockBytes);
    this.file = new TempSpillFile('waterline-mask-', 'mask.bits', options.tmpDir);
  }

  /** The temporary file's path. */
  get path(): string {
    return this.file.path;
  }

  /** Rows written so far (rows [0, rowsWritten) can be read). */
  get rows(): number {
    return this.rowsWritten;
  }

  /** Row y, the next one to write, from `width` bytes of `row` starting at `offset` (non-zero = set), as BitMask.setRow. */
  setRow(y: number, row: ArrayLike<number>, offset = 0): void {
    this.checkNext(y);
    packBitRow(row, offset, this.width, this.writing, (y % BLOCK_ROWS) * this.stride);
    this.rowWritten();
  }

  /** Row y, the next one to write, from `stride` bytes of `bits` starting at `offset`, already packed (as BitMask.setPackedRow). */
  setPackedRow(y: number, bits: Uint8Array, offset = 0): void {
    this.checkNext(y);
    this.writing.set(bits.subarray(offset, offset + this.stride), (y % BLOCK_ROWS) * this.stride);
    this.rowWritten();
  }

  private checkNext(y: number): void {
    if (y !== this.rowsWritten || y >= this.height) throw new RangeError(`row ${y} written out of order (next: ${this.rowsWritten} of ${this.height})`);
  }

  /** Count the row just put into the block being written; a whole block goes to the file. */
  private rowWritten(): void {
    const bits = this.writing;
    this.rowsWritten++;
    if (this.rowsWritten % BLOCK_ROWS === 0) {
      // a whole block: to the file, and into the cache (the tracer reads the rows it just got next)
      const b = this.rowsWritten / BLOCK_ROWS - 1;
      this.file.writeAt(bits, bits.length, b * this.blockBytes);
      this.writing = this.remember(b, bits) ?? new Uint8Array(this.blockBytes);
    }
  }

  block(b: number): Uint8Array {
    if (b === this.lastB) return this.lastBits!;
    const bits = b === this.prevB ? this.prevBits! : this.find(b);
    this.prevB = this.lastB;
    this.prevBits = this.lastBits;
    this.lastB = b;
    this.lastBits = bits;
    return bits;
  }

  /** Block b from the block being written, the cache or the file. */
  private find(b: number): Uint8Array {
    const y0 = b * BLOCK_ROWS;
    if (!Number.isInteger(b) || b < 0 || y0 >= this.rowsWritten) throw new RangeError(`block ${b} not written (${this.rowsWritten} rows)`);
    if (y0 + BLOCK_ROWS > this.rowsWritten) return this.writing;
    const cached = this.cache.get(b);
    if (cached) return cached;
    const bits = this.spare() ?? new Uint8Array(this.blockBytes);
    if (this.file.readAt(bits, bits.length, b * this.blockBytes) < bits.length) throw new Error(`temporary mask file ended in block ${b}`);
    this.cache.set(b, bits);
    return bits;
  }

  /** Remove the temporary file (safe to call more than once); the mask cannot be read after. */
  close(): void {
    this.cache.clear();
    this.lastB = this.prevB = -1;
    this.lastBits = this.prevBits = null;
    this.file.close();
  }

  /** The array of the oldest block in the cache but the last two asked for, when the cache is full (it leaves the cache), else null. */
  private spare(): Uint8Array | null {
    if (this.cache.size < this.cacheBlocks) return null;
    for (const [b, bits] of this.cache) {
      if (b === this.lastB || b === this.prevB) continue;
      this.cache.delete(b);
      return bits;
    }
    return null;
  }

  /** Put block b's array in the cache; the array it pushed out, if any, to reuse. */
  private remember(b: number, bits: Uint8Array): Uint8Array | null {
    const spare = this.spare();
    this.cache.set(b, bits);
    return spare;
  }
}
