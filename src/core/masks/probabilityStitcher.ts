/**
 * Stitches overlapping per-tile water probabilities into one scene-size probability raster.
 *
 * Blending: every tile contributes `q * w` and `w` per pixel, with `q` its probability quantized by the
 * one-byte codec (probabilityCodec.ts, q = round(p·254)) and `w` the integer feathered ramp of
 * blendWeights.ts (times 0 where the tile pixel is nodata or padding, marked NaN in its probability);
 * the result is `round(Σ q·w / Σ w)`. No last-writer-wins, so a lake crossing tile boundaries has no seam.
 * Both sums are exact integers, so the result is the same whatever order tiles arrive in, and a tile
 * blended from its float output equals the same tile reloaded from its stored bytes (a resumed or
 * distributed job gives exactly the uninterrupted run's scene).
 *
 * Bounded memory: integer accumulators (32-bit) exist only for the horizontal bands of rows that can still
 * receive tiles. Bands are cut at the top and at the bottom of every grid row's tiles (rows [y0, y0 + overlap)
 * that two grid rows cover, and the rest), and a band is finalized (quantized into the output and its
 * accumulators freed) as soon as every grid row that touches it is complete (tiles added, skipped or failed).
 * With tiles arriving in grid-row order, the rows alive are those of one grid row's tiles (tileSize rows, in
 * three bands) plus the reused accumulators of one band of each size: O(width × tileSize) words.
 * The only scene-size allocation is the output, one byte per pixel (probabilityCodec.ts):
 *   0..254  probability round(p * 254) (p = q / 254),
 *   255     no data (no valid tile pixel covered it).
 * With `onRows` there is none at all: each finalized band of rows is handed over, top to bottom, and the
 * caller keeps what it needs (segmentScene: a bit mask and a disk-backed copy), so memory stays flat in
 * scene area.
 */
import type { PixelWindow } from '../scene.ts';
import { tileBlendWeights } from './blendWeights.ts';
import { PROBABILITY_NODATA, PROBABILITY_SCALE, quantizeProbabilityValue } from './probabilityCodec.ts';

/** What the stitcher needs to know about a tile: its grid row and the scene window it covers. */
export interface StitchTile {
  id: string;
  row: number;
  /** Scene pixels covered, top-left at the tile's (0,0); may be smaller than tileSize at scene edges. */
  window: PixelWindow;
}

export interface ProbabilityStitcherOptions {
  width: number;
  height: number;
  tileSize: number;
  overlap: number;
  /** Every tile of the grid (used to know when a band of rows can receive no more tiles). */
  tiles: readonly StitchTile[];
  /**
   * Receive each finalized band instead of keeping a scene-size output: rows y0.. (width bytes each, same
   * codes as the output), called in row order, every row exactly once by the time `finish()` returns. `rows`
   * is valid during the call only: its array is reused for the next band.
   */
  onRows?: (y0: number, rows: Uint8Array) => void;
}

interface Band {
  y0: number;
  y1: number;
  sum: Uint32Array | null;
  weight: Uint32Array | Uint16Array | null;
}

export interface StitcherStats {
  /** Bands currently holding accumulators. */
  liveBands: number;
  /** Most bands alive at once so far. */
  peakLiveBands: number;
  /** Bands finalized into the output. */
  finalizedBands: number;
  totalBands: number;
}

export class ProbabilityStitcher {
  readonly width: number;
  readonly height: number;
  readonly tileSize: number;
  /** Scene-size quantized probability (see module doc); complete once `finish()` returned. Empty with `onRows`. */
  readonly output: Uint8Array;
  private readonly onRows: ((y0: number, rows: Uint8Array) => void) | undefined;
  /** Weight sums fit 16 bits when 4 (overlap + 1)² does (overlaps up to 126 px). */
  private readonly narrowWeights: boolean;
  private readonly weights: Uint32Array;
  private readonly bands: Band[];
  /** Grid rows sorted by their top y; index = grid row number. */
  private readonly rowY0: number[];
  private readonly pending: number[];
  /** For each band, the last grid row whose tiles reach into it. */
  private readonly lastRowForBand: number[];
  private completePrefix = 0;
  private nextBandToFinalize = 0;
  private live = 0;
  private peakLive = 0;
  private readonly done = new Set<string>();
  /**
   * Accumulators of finalized bands, kept for the next band of the same size (zeroed) instead of freeing
   * them: bands of a wide scene are tens of MB each, and allocating and freeing one per grid row left the
   * process's memory growing with the number of rows (the allocator keeps freed blocks of that size).
   */
  private readonly spare: { sum: Uint32Array; weight: Uint32Array | Uint16Array }[] = [];
  /** The bytes handed to `onRows`, reused from band to band (a band of a wide scene is megabytes). */
  private rowsOut = new Uint8Array(0);

  constructor(options: ProbabilityStitcherOptions) {
    const { width, height, tileSize, overlap, tiles } = options;
    this.width = width;
    this.height = height;
    this.tileSize = tileSize;
    this.onRows = options.onRows;
    this.output = this.onRows ? new Uint8Array(0) : new Uint8Array(width * height).fill(PROBABILITY_NODATA);
    this.weights = tileBlendWeights(tileSize, overlap);
    this.narrowWeights = 4 * (overlap + 1) ** 2 < 2 ** 16;
    // A pixel lies in at most 4 tiles (overlap < tileSize/2): the integer sums must fit 32 bits.
    if (4 * PROBABILITY_SCALE * (overlap + 1) ** 2 >= 2 ** 32) throw new RangeError(`overlap ${overlap} is too large to blend`);
    const rows = tiles.reduce((m, t) => Math.max(m, t.row + 1), 0);
    this.rowY0 = new Array<number>(rows).fill(Number.POSITIVE_INFINITY);
    this.pending = new Array<number>(rows).fill(0);
    for (const t of tiles) {
      this.rowY0[t.row] = Math.min(this.rowY0[t.row], t.window.y);
      this.pending[t.row]++;
    }
    for (let r = 0; r < rows; r++) if (!Number.isFinite(this.rowY0[r])) this.rowY0[r] = r > 0 ? this.rowY0[r - 1] : 0;
    // Bands: cut at the top of every grid row but the first and at the bottom of its tiles, e.g. [0, 192),
    // [192, 224), [224, 384), [384, 416), ... for 224 px tiles overlapping by 32: the rows [192, 224) that
    // grid rows 0 and 1 both cover are finalized with row 1's, the rows [224, 384) that row 1 alone covers
    // do not wait for row 2's tiles (one band per grid row kept 2 × 192 rows alive, this 224).
    const cuts = new Set<number>();
    for (let r = 0; r < rows; r++) {
      if (r > 0) cuts.add(this.rowY0[r]);
      cuts.add(this.rowY0[r] + tileSize);
    }
    const starts = [0, ...[...cuts].map((y) => Math.min(Math.max(0, y), height)).filter((y) => y > 0 && y < height)];
    const sorted = [...new Set(starts)].sort((a, b) => a - b);
    this.bands = sorted.map((y0, i) => ({ y0, y1: i + 1 < sorted.length ? sorted[i + 1] : height, sum: null, weight: null }));
    if (this.bands.length === 0) this.bands.push({ y0: 0, y1: height, sum: null, weight: null });
    this.lastRowForBand = this.bands.map((b) => {
      let last = -1;
      for (let r = 0; r < rows; r++) if (this.rowY0[r] < b.y1) last = r;
      return last;
    });
    this.advance();
  }

  /** Add one tile's probability (tileSize², row-major). NaN marks pixels that are nodata or padding. */
  addTile(tile: StitchTile, probability: Float32Array): void {
    const size = this.tileSize;
    if (probability.length !== size * size) {
      throw new RangeError(`tile ${tile.id}: probability has ${probability.length} values, expected ${size * size}`);
    }
    if (this.done.has(tile.id)) return;
    const x0 = tile.window.x;
    const y0 = tile.window.y;
    const w = Math.min(tile.window.width, size, this.width - x0);
    const h = Math.min(tile.window.height, size, this.height - y0);
    for (let r = 0; r < h; r++) {
      const y = y0 + r;
      const band = this.bandFor(y);
      if (!band.sum || !band.weight) continue; // already finalized (tile arrived after its rows closed)
      const rowOffset = (y - band.y0) * this.width + x0;
      const tileRow = r * size;
      for (let c = 0; c < w; c++) {
        const q = quantizeProbabilityValue(probability[tileRow + c]);
        if (q === PROBABILITY_NODATA) continue; // NaN: nodata / padding
        const wt = this.weights[tileRow + c];
        band.sum[rowOffset + c] += q * wt;
        band.weight[rowOffset + c] += wt;
      }
    }
    this.markDone(tile);
  }

  /** A tile that contributes nothing (all nodata, or failed): its rows may still be finalized. */
  skipTile(tile: StitchTile): void {
    if (this.done.has(tile.id)) return;
    this.markDone(tile);
  }

  /** Finalize every remaining band (tiles never added count as nodata) and return the output (empty with `onRows`). */
  finish(): Uint8Array {
    while (this.nextBandToFinalize < this.bands.length) this.finalizeBand(this.nextBandToFinalize++);
    this.spare.length = 0;
    return this.output;
  }

  stats(): StitcherStats {
    return { liveBands: this.live, peakLiveBands: this.peakLive, finalizedBands: this.nextBandToFinalize, totalBands: this.bands.length };
  }

  private markDone(tile: StitchTile): void {
    this.done.add(tile.id);
    if (tile.row >= 0 && tile.row < this.pending.length) this.pending[tile.row]--;
    this.advance();
  }

  private bandFor(y: number): Band {
    // Bands are few (one per grid row); binary search by y.
    let lo = 0;
    let hi = this.bands.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.bands[mid].y0 <= y) lo = mid;
      else hi = mid - 1;
    }
    const band = this.bands[lo];
    if (!band.sum && lo >= this.nextBandToFinalize) {
      const n = (band.y1 - band.y0) * this.width;
      const reused = this.spare.findIndex((a) => a.sum.length === n);
      if (reused >= 0) {
        const [{ sum, weight }] = this.spare.splice(reused, 1);
        band.sum = sum.fill(0);
        band.weight = weight.fill(0);
      } else {
        band.sum = new Uint32Array(n);
        band.weight = this.narrowWeights ? new Uint16Array(n) : new Uint32Array(n);
      }
      this.live++;
      this.peakLive = Math.max(this.peakLive, this.live);
    }
    return band;
  }

  private advance(): void {
    while (this.completePrefix < this.pending.length && this.pending[this.completePrefix] <= 0) this.completePrefix++;
    while (
      this.nextBandToFinalize < this.bands.length &&
      this.lastRowForBand[this.nextBandToFinalize] < this.completePrefix
    ) {
      this.finalizeBand(this.nextBandToFinalize++);
    }
    if (this.nextBandToFinalize === this.bands.length) this.spare.length = 0;
  }

  private finalizeBand(index: number): void {
    const band = this.bands[index];
    let streamed: Uint8Array | null = null;
    if (this.onRows) {
      const n = (band.y1 - band.y0) * this.width;
      if (this.rowsOut.length < n) this.rowsOut = new Uint8Array(n);
      streamed = this.rowsOut.subarray(0, n).fill(PROBABILITY_NODATA);
    }
    if (band.sum && band.weight) {
      const out = streamed ?? this.output;
      const offset = streamed ? 0 : band.y0 * this.width;
      const { sum, weight } = band;
      for (let i = 0; i < sum.length; i++) {
        const wt = weight[i];
        if (wt > 0) out[offset + i] = Math.round(sum[i] / wt);
      }
      // a spare of each of the last two band sizes (a regular grid has two, the first and last bands others)
      if (!this.spare.some((a) => a.sum.length === sum.length)) {
        this.spare.push({ sum, weight });
        if (this.spare.length > 2) this.spare.shift();
      }
      band.sum = null;
      band.weight = null;
      this.live--;
    }
    if (streamed && streamed.length > 0) this.onRows!(band.y0, streamed);
    if (this.nextBandToFinalize >= this.bands.length) this.rowsOut = new Uint8Array(0);
  }
}

/** Threshold a quantized probability raster into a 0/1 water mask (nodata is never water), into `mask` when given. */
export function thresholdProbability(q: Uint8Array, threshold: number, mask = new Uint8Array(q.length)): Uint8Array {
  if (mask.length < q.length) throw new RangeError(`mask has ${mask.length} bytes for ${q.length} values`);
  // water where p >= threshold, i.e. q/254 >= threshold (with a half-step tolerance for quantization)
  const cut = threshold * PROBABILITY_SCALE - 1e-6;
  for (let i = 0; i < q.length; i++) {
    const v = q[i];
    mask[i] = v !== PROBABILITY_NODATA && v >= cut ? 1 : 0;
  }
  return mask;
}
