/**
 * A scene's one-bit water mask as the pipelines write and trace it (segmentScene, vectorizeRaster): in memory up
 * to `memoryBytes` (default 8 MiB: an 8192² scene), else a SpilledBitMask in a temporary file read back in blocks
 * of rows, so memory stays flat in scene area. Close it after use (that removes the file).
 */
import { BitMask } from '../../core/masks/bitMask.ts';
import type { WritableMaskRows } from '../../core/masks/maskRows.ts';
import { SpilledBitMask } from './spilledBitMask.ts';

/** The mask stays in memory up to this many bytes by default. */
export const DEFAULT_MASK_MEMORY_BYTES = 8 * 1024 * 1024;

export function createSceneMask(width: number, height: number, options: { memoryBytes?: number; tmpDir?: string } = {}): WritableMaskRows {
  const bytes = ((width + 7) >> 3) * height;
  return bytes <= (options.memoryBytes ?? DEFAULT_MASK_MEMORY_BYTES) ? new BitMask(width, height) : new SpilledBitMask(width, height, { tmpDir: options.tmpDir });
}
