/**
 * The one interface every water model implements (PaliGemma + VAE, the built-in U-Net, ...).
 * The pipeline hands it model tiles and gets back a per-pixel water probability for each tile;
 * how the model gets there (tokens + VAE, or a probability map) is its own business.
 */

/** One model input tile: `size` x `size` RGB, 8-bit, row-major, interleaved (HWC). */
export interface ModelTile {
  /** Stable tile id from the tile grid, e.g. `r3c7`. */
  id: string;
  size: number;
  /** size*size*3 bytes, already band-selected and contrast-stretched scene-wide. */
  rgb: Uint8Array;
  /** size*size bytes: 1 where the pixel is real scene data, 0 for nodata or edge padding. */
  valid: Uint8Array;
  /**
   * The raw values of the bands the segmenter declared in `SegmenterInfo.spectralBands`, in that order: one
   * size*size plane per band, GDAL scale/offset applied; NaN for padding, nodata and saturated samples.
   */
  spectral?: Float32Array[];
}

/** Something the model output got wrong, handled by a documented rule (see src/core/tokens). */
export interface SegmentationDefect {
  kind: string;
  message: string;
}

export interface TileSegmentation {
  tileId: string;
  /** size*size water probability in [0,1] (soft mask, used for blending overlapping tiles). */
  probability: Float32Array;
  /** Defects found in the raw model output (token-based models). Empty when the output was clean. */
  defects: SegmentationDefect[];
  /** The raw decoded text, for token-based models (debugging, provenance). */
  text?: string;
}

export interface SegmenterInfo {
  /** Model name or directory, as reported in provenance. */
  name: string;
  /** `paligemma` | `unet` | ... */
  kind: string;
  /** Tile size the model expects (224, 448, 896 for PaliGemma). */
  inputSize: number;
  /** Execution provider actually in use: `cpu`, `cuda`, `webgpu`. */
  provider: string;
  /** Whether the model uses the prompt (the U-Net ignores it). */
  usesPrompt: boolean;
  /**
   * Scene bands (1-based) the model reads as raw values besides the RGB picture, delivered in
   * `ModelTile.spectral` (spectral and fused models; absent for RGB-only models).
   */
  spectralBands?: number[];
  /**
   * The tile overlap (px) the model asks for when the caller gives none (a U-Net manifest's `tiling.overlap`);
   * absent: the pipeline's default (core/grid/tileGrid.ts DEFAULT_OVERLAP).
   */
  tileOverlap?: number;
  /** What the run's provenance should record about how this model decided (index, threshold, fusion...). */
  provenance?: Record<string, unknown>;
}

export interface SegmentOptions {
  prompt: string;
  signal?: AbortSignal;
}

export interface Segmenter {
  readonly info: SegmenterInfo;
  /** Segment a batch of tiles; the result array is in the same order as `tiles`. */
  segment(tiles: ModelTile[], options: SegmentOptions): Promise<TileSegmentation[]>;
  dispose(): Promise<void>;
}
