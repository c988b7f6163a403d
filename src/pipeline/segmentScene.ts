/**
 * The streaming segmentation job: scene → tiles → model → stitched probability → water polygons.
 *
 * - Reading, inference and blending overlap: batch k is blended as soon as the model has it, while batch k+1 is
 *   in the model (the U-Net computes in its own threads, two batches side by side, see threadedOnnxSession.ts)
 *   and batch k+2 is read and contrast-stretched; a batch goes to the model as soon as it is read, so the model
 *   never waits for blending. At most three batches of tiles are held: a bounded queue.
 * - Each finished tile is blended into the rolling-band ProbabilityStitcher at once (float accumulators
 *   only for rows still receiving tiles; the scene-size state is one byte per pixel), and handed to
 *   `onTileDone` so a job runner can persist it; tiles in `completed` are blended without re-running.
 * - A batch whose inference throws is retried tile by tile once; a tile that fails again is skipped
 *   (its area has no data) and listed in the summary and in the output's `waterline.failedTiles`.
 * - Memory is flat in scene area: each band of rows the stitcher finalizes is thresholded into a one-bit
 *   mask (in memory when small, else a SpilledBitMask: a temporary file read back in blocks of rows), counted
 *   for the histogram and appended to a RowSpill (likewise); a MaskTracer labels and traces the mask in one
 *   pass over its rows, reading the probability back row by row for each polygon's mean — in slices while
 *   later tiles still run (whenever the main thread is free: the model runs off it), the rest once all tiles
 *   are in. Nothing scene-sized is held in memory: a water body spanning the scene holds the pass at its top
 *   row until its last row is in, and the tracer then walks its boundary through the file's blocks (a 20000²
 *   scene: 50 MB of file, a few MiB of blocks). Output is identical to vectorizing the whole-scene probability.
 * - Each polygon becomes a feature as soon as the pass leaves its last row and goes to `features` (a sink such
 *   as the CLI's file writer, which spills it to disk at once), so only polygons still open are held; without
 *   a sink they are collected and returned in the collection, numbered and ordered as before.
 * - `signal` cancels between batches and inside reads/inference (CancelledError).
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import { createCrsTransform } from '../adapters/raster/crs.ts';
import { CancelledError, describeError } from '../core/errors.ts';
import type { BandStretch } from '../core/grid/bandStretch.ts';
import { chosenOverlap, type GridTile, type TileGrid } from '../core/grid/tileGrid.ts';
import { PROBABILITY_SCALE } from '../core/masks/probabilityCodec.ts';
import { ProbabilityStitcher, thresholdProbability, type StitcherStats } from '../core/masks/probabilityStitcher.ts';
import type { ModelTile, Segmenter, SegmentationDefect, TileSegmentation } from '../core/model/segmenter.ts';
import type { TileProgress } from '../core/tileProgress.ts';
import type { ToWgs84 } from '../core/vector/toGeoJson.ts';
import { createMaskTracer, type Connectivity, type PixelPolygon } from '../core/vector/traceMask.ts';
import { defaultMinAreaM2 } from '../core/vector/minimumMappingUnit.ts';
import { countProbabilityCodes, probabilityCodeHistogram } from '../core/report/histogram.ts';
import { createCompactFeatureMaker } from '../core/vector/toGeoJson.ts';
import type { CompactWaterFeature } from '../core/vector/compactWaterFeature.ts';
import { createFeatureOrder, type WaterFeatureSink } from '../core/vector/featureOrder.ts';
import { RowSpill } from '../adapters/raster/rowSpill.ts';
import { createSceneMask } from '../adapters/raster/sceneMask.ts';
import { waterCollection, type TileDefectReport, type WaterCollection } from '../core/vector/waterCollection.ts';
import { createTileSource } from './tileSource.ts';
import type { SceneInfo } from '../core/scene.ts';

/**
 * What a colleague needs of the scene to reproduce or check a run: its size, CRS and nodata values (the values
 * as read; a black collar's 0 shows as `blackCollar`). Distinct nodata values only, in band order.
 */
function sceneDescription(info: SceneInfo): { sceneSize: [number, number]; sceneCrs: string; sceneNodata: number[] } {
  const crs = info.crs.epsg ? `EPSG:${info.crs.epsg}` : info.crs.name ?? 'user-defined (proj4 in waterline info)';
  const nodata = info.blackCollar ? [] : [...new Set(info.bands.map((b) => b.noDataValue).filter((v): v is number => v !== null))];
  return { sceneSize: [info.width, info.height], sceneCrs: crs, sceneNodata: nodata };
}

export type SegmentProgress = TileProgress;

/** Rows labelled and traced per slice while tiles still run (a few ms each on a 20000 px wide scene). */
const TRACE_SLICE_ROWS = 64;
/**
 * Slices run back to back for up to this many milliseconds per turn of the event loop: while the model computes in
 * its own thread, a turn comes about once per batch, so one slice per turn would fall behind the finished rows.
 */
const TRACE_TURN_MS = 8;
/** Batches handed to the model ahead of the one being blended: with two sessions, the head and the next compute side by side. */
const MODEL_AHEAD = 1;

export interface SegmentSceneOptions {
  prompt?: string;
  /** Tiles per model call (default 4). */
  batch?: number;
  overlap?: number;
  /** 1-based bands (3 = RGB, 1 = grey); default chosen by the tile source. */
  bands?: number[];
  /** The scene-wide stretch of `bands` when already computed (see TileSourceOptions.stretch). */
  stretch?: BandStretch;
  /** Water where the blended probability ≥ threshold (default 0.5). */
  threshold?: number;
  /** Drop polygons smaller than this (m²); default: DEFAULT_MIN_AREA_PIXELS pixels of the scene (core/vector/minimumMappingUnit.ts). */
  minAreaM2?: number;
  /** Simplification tolerance in pixels (default 0 = off). */
  simplify?: number;
  connectivity?: Connectivity;
  signal?: AbortSignal;
  /** Tiles already finished (resume): probability per tile id, not recomputed. NaN = no data. */
  completed?: ReadonlyMap<string, Float32Array>;
  /** Called once per newly finished tile, in tile order, before the next batch is blended: persist it for resume. NaN = no data. */
  onTileDone?: (tileId: string, probability: Float32Array, defects: SegmentationDefect[]) => void | Promise<void>;
  onProgress?: (progress: SegmentProgress) => void;
  /** Scene CRS → lon/lat (default: from the scene's CRS). */
  toWgs84?: ToWgs84;
  /** Name recorded as the scene in provenance (default: the scene's source). */
  sceneName?: string;
  /** Clock for provenance (tests). */
  now?: () => Date;
  /** Keep the blended probability in memory up to this many bytes, else in a temporary file (default 64 MiB). */
  probabilityMemoryBytes?: number;
  /** Keep the one-bit water mask in memory up to this many bytes, else in a temporary file (default 8 MiB: an 8192² scene). */
  maskMemoryBytes?: number;
  /** The directory the temporary files of the probability and the mask go in (default: the system temp directory). */
  spillDir?: string;
  /**
   * Hand the features here as the tracer closes their polygons (not in id order; see WaterFeatureSink), e.g. a
   * file writer, instead of collecting them: the result's collection then has no features.
   */
  features?: WaterFeatureSink;
}

export interface SegmentSummary extends SegmentProgress {
  failedTiles: { tileId: string; error: string }[];
  skippedTiles: string[];
  defects: TileDefectReport[];
  /** Tiles taken from `completed`. */
  tilesResumed: number;
  polygons: number;
  waterAreaM2: number;
  /** Seconds in all (tiles, then vectorizing). */
  seconds: number;
  /** Seconds of the tile phase; `tilesPerSecond` is measured over it, as in the progress events. */
  tileSeconds: number;
  stitcher: StitcherStats;
  /** Rows of the scene already vectorized (labelled and traced) when the last tile was done: the overlap. */
  rowsVectorizedDuringTiles: number;
}

export interface SegmentSceneResult {
  collection: WaterCollection;
  summary: SegmentSummary;
}

interface ReadBatch {
  tiles: { grid: GridTile; model: ModelTile }[];
  skipped: GridTile[];
}

/** What blendSceneProbability needs: SegmentSceneOptions without the vectorization and provenance ones. */
export type BlendSceneOptions = Omit<SegmentSceneOptions, 'threshold' | 'minAreaM2' | 'simplify' | 'connectivity' | 'toWgs84' | 'now' | 'probabilityMemoryBytes' | 'maskMemoryBytes' | 'spillDir'>;

/** The first half of segmentScene: every tile through the model, blended into one scene probability. */
export interface BlendedScene {
  /** Scene-size blended probability, one byte per pixel (0..254 = p·254, 255 = no data). */
  probability: Uint8Array;
  grid: TileGrid;
  /** The bands the tiles were built from. */
  bands: number[];
  tilesDone: number;
  tilesResumed: number;
  skippedTiles: string[];
  failedTiles: { tileId: string; error: string }[];
  defects: TileDefectReport[];
  stitcher: StitcherStats;
  /** Newly run tiles per second over the tile phase, as the last progress event reported it. */
  tilesPerSecond: number;
  /** Seconds of the tile phase (reading, model, blending). */
  tileSeconds: number;
}

/** Tile the scene, run the model (batched, reading one batch ahead, retrying a failed tile once) and blend. */
export async function blendSceneProbability(scene: Scene, segmenter: Segmenter, options: BlendSceneOptions = {}): Promise<BlendedScene> {
  return blendTiles(scene, segmenter, options);
}

/** blendSceneProbability; with `onRows` the finalized rows go there and `probability` is empty (see ProbabilityStitcher). */
async function blendTiles(
  scene: Scene,
  segmenter: Segmenter,
  options: BlendSceneOptions,
  onRows?: (y0: number, rows: Uint8Array) => void,
): Promise<BlendedScene> {
  const started = Date.now();
  const { signal } = options;
  const prompt = options.prompt ?? 'segment water';
  const batchSize = Math.max(1, Math.floor(options.batch ?? 4));
  const info = scene.info;
  const checkAbort = (): void => {
    if (signal?.aborted) throw new CancelledError(`segmentation of ${info.source} cancelled`);
  };
  checkAbort();
  const source = await createTileSource(scene, {
    tileSize: segmenter.info.inputSize,
    overlap: chosenOverlap(options.overlap, segmenter.info.tileOverlap),
    bands: options.bands,
    stretch: options.stretch,
    spectralBands: segmenter.info.spectralBands,
    signal,
  });
  const { grid } = source;
  const stitcher = new ProbabilityStitcher({ width: info.width, height: info.height, tileSize: grid.tileSize, overlap: grid.overlap, tiles: grid.tiles, onRows });

  const tilesTotal = grid.tiles.length;
  let tilesDone = 0;
  let tilesResumed = 0;
  const skippedTiles: string[] = [];
  const failedTiles: { tileId: string; error: string }[] = [];
  const defects: TileDefectReport[] = [];

  const pending: GridTile[] = [];
  for (const tile of grid.tiles) {
    const prior = options.completed?.get(tile.id);
    if (prior) {
      stitcher.addTile(tile, prior);
      tilesDone++;
      tilesResumed++;
    } else pending.push(tile);
  }

  let rate = 0;
  let elapsed = 0;
  const report = (): void => {
    elapsed = (Date.now() - started) / 1000;
    const fresh = tilesDone - tilesResumed;
    rate = elapsed > 0 ? fresh / elapsed : 0;
    if (!options.onProgress) return;
    options.onProgress({
      tilesDone,
      tilesTotal,
      tilesSkipped: skippedTiles.length,
      tilesFailed: failedTiles.length,
      tilesPerSecond: rate,
      etaSeconds: rate > 0 ? (tilesTotal - tilesDone) / rate : null,
    });
  };
  report();

  // Reader: fills batches of up to batchSize non-empty tiles, one batch ahead of inference.
  let cursor = 0;
  const readBatch = async (): Promise<ReadBatch> => {
    const out: ReadBatch = { tiles: [], skipped: [] };
    while (cursor < pending.length && out.tiles.length < batchSize) {
      const tile = pending[cursor++];
      const model = await source.readTile(tile, signal);
      if (model) out.tiles.push({ grid: tile, model });
      else out.skipped.push(tile);
    }
    return out;
  };

  const finishTile = async (tile: GridTile, model: ModelTile, result: TileSegmentation): Promise<void> => {
    const probability = result.probability;
    if (probability.length !== model.size * model.size) {
      throw new Error(`model returned ${probability.length} probabilities for tile ${tile.id}, expected ${model.size * model.size}`);
    }
    for (let i = 0; i < probability.length; i++) if (!model.valid[i]) probability[i] = Number.NaN;
    stitcher.addTile(tile, probability);
    for (const d of result.defects) defects.push({ tileId: tile.id, ...d });
    await options.onTileDone?.(tile.id, probability, result.defects);
    tilesDone++;
  };

  // The model call of a batch starts as soon as the batch is read (a model computing off the main thread queues it
  // behind the batch it is on), and its tiles are blended later in batch order: the model never waits for blending.
  const startModel = (batch: ReadBatch): Promise<TileSegmentation[] | null> | null => {
    if (batch.tiles.length === 0) return null;
    const call = new Promise<TileSegmentation[]>((resolve) => resolve(segmenter.segment(batch.tiles.map((t) => t.model), { prompt, signal }))).then((results) => {
      if (results.length !== batch.tiles.length) throw new Error(`model returned ${results.length} results for ${batch.tiles.length} tiles`);
      return results;
    });
    // keep a failure from being reported as unhandled before finishBatch looks at it
    call.catch(() => undefined);
    return call;
  };

  const finishBatch = async (batch: ReadBatch, call: Promise<TileSegmentation[] | null> | null): Promise<void> => {
    for (const tile of batch.skipped) {
      stitcher.skipTile(tile);
      skippedTiles.push(tile.id);
      tilesDone++;
    }
    if (!call) return;
    let results: TileSegmentation[] | null = null;
    try {
      results = await call;
    } catch (err) {
      checkAbort();
      if (err instanceof CancelledError) throw err;
      results = null;
    }
    for (let k = 0; k < batch.tiles.length; k++) {
      const { grid: tile, model } = batch.tiles[k];
      if (results) {
        try {
          await finishTile(tile, model, results[k]);
          continue;
        } catch (err) {
          checkAbort();
          if (err instanceof CancelledError) throw err;
        }
      }
      // retry this tile once on its own
      try {
        const [retry] = await segmenter.segment([model], { prompt, signal });
        if (!retry) throw new Error('model returned no result');
        await finishTile(tile, model, retry);
      } catch (err) {
        checkAbort();
        if (err instanceof CancelledError) throw err;
        // the output is served to clients: the scene is named as in provenance, never by its server path
        failedTiles.push({ tileId: tile.id, error: describeError(err).split(info.source).join(options.sceneName ?? info.source) });
        stitcher.skipTile(tile);
        tilesDone++;
      }
    }
  };

  // The stages overlap: batch k is blended while the next MODEL_AHEAD batches are in the model (computing side by
  // side when it has several sessions, else queued there) and the one after them is read. Tiles are blended in order.
  type InModel = { batch: ReadBatch; call: Promise<TileSegmentation[] | null> | null };
  const inModel: InModel[] = [];
  let next: Promise<ReadBatch> | null = pending.length ? readBatch() : null;
  try {
    while (next || inModel.length) {
      while (next && inModel.length <= MODEL_AHEAD) {
        const batch = await next;
        checkAbort();
        next = cursor < pending.length ? readBatch() : null;
        // keep a rejected prefetch from being reported as unhandled while inference runs
        next?.catch(() => undefined);
        inModel.push({ batch, call: startModel(batch) });
      }
      const head = inModel.shift()!;
      await finishBatch(head.batch, head.call);
      report();
      // a turn of the event loop per batch even when the next results are already in: vectorizing slices, the
      // server's requests and the model's messages run between batches, not after all of them
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    await next?.catch(() => undefined);
    for (const m of inModel) await m.call?.catch(() => undefined);
    checkAbort();
    throw err;
  }
  checkAbort();

  return {
    probability: stitcher.finish(),
    grid,
    bands: source.bands,
    tilesDone,
    tilesResumed,
    skippedTiles,
    failedTiles,
    defects,
    stitcher: stitcher.stats(),
    tilesPerSecond: rate,
    tileSeconds: elapsed,
  };
}

export async function segmentScene(scene: Scene, segmenter: Segmenter, options: SegmentSceneOptions = {}): Promise<SegmentSceneResult> {
  const started = Date.now();
  const prompt = options.prompt ?? 'segment water';
  const threshold = options.threshold ?? 0.5;
  const info = scene.info;
  const toWgs84 = options.toWgs84 ?? createCrsTransform(info.crs).toWgs84;
  const connectivity = options.connectivity ?? 4;
  const simplify = options.simplify ?? 0;
  const minAreaM2 = options.minAreaM2 ?? defaultMinAreaM2(info.width, info.height, info.geoTransform, toWgs84);
  const spillDir = options.spillDir;
  const mask = createSceneMask(info.width, info.height, { memoryBytes: options.maskMemoryBytes, tmpDir: spillDir });
  let spill: RowSpill | null = null;
  const codeCounts = new Float64Array(256);
  let blended: BlendedScene;
  // Vectorizing overlaps the tiles: finished rows are labelled and traced a slice at a time whenever the
  // main thread is free (while the model runs off it, or a read is pending), in the same order as at the end.
  // Each polygon becomes a feature as soon as the pass leaves its last row, and goes to the sink.
  const collected = options.features ? null : createFeatureOrder();
  const sink = options.features ?? collected!;
  let polygons = 0;
  let waterAreaM2 = 0;
  let rowsVectorizedDuringTiles = 0;
  let tracing: ReturnType<typeof setImmediate> | null = null;
  // Everything after the mask is made runs in this try, so its finally removes both temporary files whatever throws.
  try {
    const probabilityRows = new RowSpill(info.width, info.height, { memoryBytes: options.probabilityMemoryBytes, tmpDir: spillDir });
    spill = probabilityRows;
    let toFeature: ((poly: PixelPolygon) => CompactWaterFeature | null) | null = null;
    const tracer = createMaskTracer(mask, {
      connectivity,
      valueRow: (y) => probabilityRows.row(y),
      onPolygon: (poly, order) => {
        const feature = toFeature!(poly);
        if (feature) {
          polygons++;
          waterAreaM2 += feature.properties.area_m2;
        }
        sink.add(order, feature);
      },
    });
    toFeature = createCompactFeatureMaker({ junctions: tracer.junctions, width: info.width }, { geoTransform: info.geoTransform, toWgs84, simplify, minAreaM2, valueScale: PROBABILITY_SCALE });
    let rowsReady = 0;
    /** The water bytes of a band of rows, reused from band to band. */
    let water = new Uint8Array(0);
    // Slices run on their own turn of the event loop: what they throw (the sink, the projection, the spill)
    // is kept and rethrown once the tiles are done, so the normal clean-up runs and the process survives.
    let traceFailure: { error: unknown } | null = null;
    const traceSlice = (): void => {
      tracing = null;
      try {
        const until = performance.now() + TRACE_TURN_MS;
        while (tracer.advance(rowsReady, TRACE_SLICE_ROWS) === 'budget') {
          if (performance.now() >= until) {
            tracing = setImmediate(traceSlice);
            break;
          }
        }
      } catch (error) {
        traceFailure = { error };
      }
    };
    blended = await blendTiles(scene, segmenter, options, (y0, rows) => {
      countProbabilityCodes(rows, codeCounts);
      probabilityRows.append(rows);
      if (water.length < rows.length) water = new Uint8Array(rows.length);
      thresholdProbability(rows, threshold, water);
      const n = rows.length / info.width;
      for (let r = 0; r < n; r++) mask.setRow(y0 + r, water, r * info.width);
      rowsReady = y0 + n;
      if (!traceFailure) tracing ??= setImmediate(traceSlice);
    });
    water = new Uint8Array(0);
    if (tracing) clearImmediate(tracing);
    tracing = null;
    if (traceFailure) throw (traceFailure as { error: unknown }).error;
    rowsVectorizedDuringTiles = tracer.rowsDone;
    // The rows left are traced a slice at a time as well, yielding between slices, so a server that runs this on
    // its HTTP thread (on-demand water.geojson) keeps answering (/healthz, tiles) through the whole pass.
    while (tracer.advance(info.height, TRACE_SLICE_ROWS) === 'budget') await new Promise((r) => setImmediate(r));
    tracer.finish();
  } finally {
    if (tracing) clearImmediate(tracing);
    try {
      spill?.close();
    } finally {
      mask.close();
    }
  }
  const { grid, bands, tilesDone, tilesResumed, skippedTiles, failedTiles, defects, stitcher, tilesPerSecond, tileSeconds } = blended;
  const tilesTotal = grid.tiles.length;
  const now = options.now ?? (() => new Date());
  const vectorizedAt = Date.now();
  const round3 = (x: number): number => Math.round(x * 1000) / 1000;
  const features = collected ? collected.features() : [];
  // summed in id order when collected, as before (the same float sum); in closing order when streamed
  if (collected) waterAreaM2 = features.reduce((s, f) => s + f.properties.area_m2, 0);
  const collection = waterCollection(features, {
    scene: options.sceneName ?? info.source,
    model: segmenter.info.name,
    modelKind: segmenter.info.kind,
    provider: segmenter.info.provider,
    prompt: segmenter.info.usesPrompt ? prompt : undefined,
    threshold,
    connectivity,
    simplify,
    minAreaM2,
    created: now().toISOString(),
    tileSize: grid.tileSize,
    overlap: grid.overlap,
    bands,
    ...sceneDescription(info),
    ...(info.blackCollar ? { blackCollar: true } : {}),
    ...segmenter.info.provenance,
    tilesTotal,
    skippedTiles,
    failedTiles,
    defects,
    /** Valid pixels per 0.05 of blended probability (for the run report; the threshold cuts this distribution). */
    probabilityHistogram: probabilityCodeHistogram(codeCounts),
    timings: {
      tilesSeconds: round3(tileSeconds),
      vectorizeSeconds: round3((vectorizedAt - started) / 1000 - tileSeconds),
      totalSeconds: round3((vectorizedAt - started) / 1000),
      tilesPerSecond: round3(tilesPerSecond),
    },
  });
  const seconds = (Date.now() - started) / 1000;
  return {
    collection,
    summary: {
      tilesDone,
      tilesTotal,
      tilesSkipped: skippedTiles.length,
      tilesFailed: failedTiles.length,
      tilesPerSecond,
      etaSeconds: 0,
      failedTiles,
      skippedTiles,
      defects,
      tilesResumed,
      polygons,
      waterAreaM2,
      seconds,
      tileSeconds,
      stitcher,
      rowsVectorizedDuringTiles,
    },
  };
}
