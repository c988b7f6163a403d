/**
 * Read access to a one-bit mask in blocks of rows (rows padded to whole bytes; bit x & 7 of byte x >> 3 of
 * a row, as BitMask), so the mask tracer can run over a mask that is not in memory as a whole: a BitMask is
 * one block of every row; a disk-backed mask (adapters/raster/spilledBitMask.ts) keeps a few blocks.
 */
export interface MaskRows {
  readonly width: number;
  readonly height: number;
  /** Bytes per row. */
  readonly stride: number;
  /** Rows per block (≥ 1); block b holds rows [b · blockRows, min((b + 1) · blockRows, height)). */
  readonly blockRows: number;
  /**
   * Block b's bytes, row y of the block at byte (y - b · blockRows) · stride. The array may be reused for
   * another block later: it is valid until two other blocks have been asked for (a reader holds at most the
   * two blocks it asked for last).
   */
  block(b: number): Uint8Array;
}

/** A one-bit mask written once, row by row from the top (BitMask in memory, or a disk-backed mask), then read as MaskRows and released. */
export interface WritableMaskRows extends MaskRows {
  /** Row y from `width` bytes of `row` starting at `offset` (non-zero = set). */
  setRow(y: number, row: ArrayLike<number>, offset?: number): void;
  /** Row y from `stride` bytes of `bits` starting at `offset`, already packed as the mask lays rows out. */
  setPackedRow(y: number, bits: Uint8Array, offset?: number): void;
  /** Release what the mask holds (its temporary file); nothing for a mask in memory. */
  close(): void;
}
