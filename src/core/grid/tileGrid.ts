/**
 * The model tile grid over a scene: square tiles of `tileSize` px, origin (col*stride, row*stride),
 * stride = tileSize - overlap. Edge tiles are padded, never stretched: the model always sees tileSize²,
 * and the part outside the scene is marked invalid. `window` is the tile clipped to the scene.
 */
import type { PixelWindow } from '../scene.ts';

export interface GridTile {
  /** `r{row}c{col}` */
  id: string;
  row: number;
  col: number;
  /** The tile's pixels inside the scene (clipped); the tile's own origin is (window.x, window.y). */
  window: PixelWindow;
}

export interface TileGrid {
  tileSize: number;
  overlap: number;
  stride: number;
  rows: number;
  cols: number;
  tiles: GridTile[];
}

export interface TileGridOptions {
  width: number;
  height: number;
  tileSize?: number;
  overlap?: number;
}

export const DEFAULT_TILE_SIZE = 224;
/** Default overlap: enough context for seam-free blending of overlapping tiles. */
export const DEFAULT_OVERLAP = 32;

/**
 * The overlap a run tiles with: the one the user asked for, else the one the model asks for (SegmenterInfo
 * `tileOverlap`, from a U-Net manifest's `tiling.overlap`), else DEFAULT_OVERLAP.
 */
export function chosenOverlap(requested: number | undefined, model: number | undefined): number {
  return requested ?? model ?? DEFAULT_OVERLAP;
}

/** The largest overlap a grid of `tileSize` px tiles accepts (less than half a tile). */
export function maxOverlap(tileSize: number): number {
  return Math.ceil(tileSize / 2) - 1;
}

/** Thrown for invalid grid parameters (the caller maps it to an InputError naming the flag). */
export class TileGridError extends RangeError {
  /** Which setting is wrong, so a caller can name its own flag; `fix` says what would be accepted. */
  constructor(message: string, readonly setting: 'scene' | 'tileSize' | 'overlap', readonly fix?: string) {
    super(message);
  }
}

function count(extent: number, tileSize: number, stride: number): number {
  return extent <= tileSize ? 1 : Math.ceil((extent - tileSize) / stride) + 1;
}

export function planTileGrid(opts: TileGridOptions): TileGrid {
  const { width, height } = opts;
  const tileSize = opts.tileSize ?? DEFAULT_TILE_SIZE;
  const overlap = opts.overlap ?? DEFAULT_OVERLAP;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new TileGridError(`scene size must be positive whole pixels, got ${width}x${height}`, 'scene');
  }
  if (!Number.isInteger(tileSize) || tileSize < 8 || tileSize > 4096) {
    throw new TileGridError(`tile size must be a whole number of pixels between 8 and 4096, got ${tileSize}`, 'tileSize', '8 to 4096');
  }
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tileSize / 2) {
    throw new TileGridError(`overlap must be a whole number of pixels, at least 0 and less than half the tile size (${tileSize / 2}), got ${overlap}`, 'overlap', `0 to ${maxOverlap(tileSize)}`);
  }
  const stride = tileSize - overlap;
  const rows = count(height, tileSize, stride);
  const cols = count(width, tileSize, stride);
  const tiles: GridTile[] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const x = col * stride;
      const y = row * stride;
      tiles.push({
        id: `r${row}c${col}`,
        row,
        col,
        window: { x, y, width: Math.min(tileSize, width - x), height: Math.min(tileSize, height - y) },
      });
    }
  }
  return { tileSize, overlap, stride, rows, cols, tiles };
}
