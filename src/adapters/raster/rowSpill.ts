/**
 * A byte raster written once, top to bottom, then read back row by row in order: held in memory when it
 * is small (≤ `memoryBytes`, default 64 MiB), otherwise spilled to a temporary file and read back through
 * a small window of rows, so a scene-size probability costs disk, not memory. segmentScene keeps its
 * blended probability here for the per-polygon mean probability while the mask is traced.
 * The file lives in the system temp directory (or `tmpDir`) and is removed by `close()`, or when the thread exits
 * (TempSpillFile).
 */
import { TempSpillFile } from './tempSpillFile.ts';

const DEFAULT_MEMORY_BYTES = 64 * 1024 * 1024;
/** Bytes read from the file at a time. */
const READ_WINDOW_BYTES = 4 * 1024 * 1024;

export class RowSpill {
  readonly width: number;
  readonly height: number;
  private rowsWritten = 0;
  private readonly memory: Uint8Array | null;
  private readonly file: TempSpillFile | null = null;
  private window = new Uint8Array(0);
  private windowY0 = 0;
  private windowRows = 0;

  constructor(width: number, height: number, options: { memoryBytes?: number; tmpDir?: string } = {}) {
    this.width = width;
    this.height = height;
    const bytes = width * height;
    if (bytes <= (options.memoryBytes ?? DEFAULT_MEMORY_BYTES)) this.memory = new Uint8Array(bytes);
    else {
      this.memory = null;
      this.file = new TempSpillFile('waterline-rows-', 'rows.u8', options.tmpDir);
    }
  }

  /** The temporary file's path, when spilled. */
  get path(): string | undefined {
    return this.file?.path;
  }

  /** Whether the rows live in a temporary file. */
  get spilled(): boolean {
    return this.memory === null;
  }

  /** Append whole rows (a multiple of `width` bytes), continuing where the last call stopped. */
  append(rows: Uint8Array): void {
    const n = rows.length / this.width;
    if (!Number.isInteger(n) || this.rowsWritten + n > this.height) throw new RangeError(`cannot append ${rows.length} bytes at row ${this.rowsWritten} of ${this.width}x${this.height}`);
    if (this.memory) this.memory.set(rows, this.rowsWritten * this.width);
    else {
      this.file!.writeAt(rows, rows.length, this.rowsWritten * this.width);
    }
    this.rowsWritten += n;
  }

  /** Row y (valid until the next call); rows are best read in order. */
  row(y: number): Uint8Array {
    if (y < 0 || y >= this.rowsWritten) throw new RangeError(`row ${y} not written (${this.rowsWritten} rows)`);
    const w = this.width;
    if (this.memory) return this.memory.subarray(y * w, (y + 1) * w);
    if (y < this.windowY0 || y >= this.windowY0 + this.windowRows) {
      const rows = Math.max(1, Math.min(this.rowsWritten - y, Math.floor(READ_WINDOW_BYTES / w)));
      if (this.window.length < rows * w) this.window = new Uint8Array(rows * w);
      if (this.file!.readAt(this.window, rows * w, y * w) < rows * w) throw new Error(`temporary raster file ended at row ${y}`);
      this.windowY0 = y;
      this.windowRows = rows;
    }
    const o = (y - this.windowY0) * w;
    return this.window.subarray(o, o + w);
  }

  /** Remove the temporary file (safe to call more than once). */
  close(): void {
    this.file?.close();
  }
}
