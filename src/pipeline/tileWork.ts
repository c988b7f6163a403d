/**
 * Distributed segmentation work: what a job is cut into when it runs on workers (src/pipeline/tileWorker.ts)
 * instead of in one process, and how a worker does one piece.
 *
 * - A **plan** unit (one per job): a worker opens the scene with its model's tile size and returns the grid's
 *   tile ids (grid order) and its SegmenterInfo. The server then cuts the ids into **tile units** of
 *   consecutive tiles.
 * - Unit ids are deterministic: job id, tile range and a key of everything that changes a tile's result
 *   (model, prompt, options, scene), so enqueueing a unit twice (after a crash, a Redis restart, a
 *   reconcile) is a no-op while it exists, and its result is the same whoever computes it.
 * - A tile unit's result is every tile's probability quantized by the one-byte codec (what the job store
 *   keeps and the stitcher blends: identical output however the job was split), plus the nodata-skipped
 *   and failed tiles. Failures are handled as `segmentScene` does: a batch that throws is retried tile by
 *   tile once; a tile that fails again is reported failed.
 */
import { createHash } from 'node:crypto';
import type { Scene } from '../adapters/raster/openScene.ts';
import type { JobOptions } from '../core/jobRecords.ts';
import { CancelledError, describeError } from '../core/errors.ts';
import { chosenOverlap, type GridTile } from '../core/grid/tileGrid.ts';
import { quantizeProbability } from '../core/masks/probabilityCodec.ts';
import type { ModelTile, Segmenter, SegmentationDefect, SegmenterInfo } from '../core/model/segmenter.ts';
import { jobSceneModelRequest, segmenterForScene } from './sceneSegmenter.ts';
import { createTileSource, type TileSource } from './tileSource.ts';

/** What every unit of a job carries: enough for any worker to segment its tiles. */
export interface TileJobSpec {
  jobId: string;
  /** Absolute path of the scene on the server. */
  scenePath: string;
  /** The scene's path relative to the data directory (workers with `--data-dir` resolve it there). */
  sceneName: string;
  /** The scene file's size on the server: a worker whose copy differs (another file under the name) refuses the unit. */
  sceneBytes?: number;
  /** The queue's model: the learned model the workers of this queue load. */
  model: string;
  /** The job's own model name (null = the server default, `auto`, `waterline-spectral`, a learned model). */
  jobModel: string | null;
  prompt: string;
  options: JobOptions;
}

export interface TilePlan {
  /** Tile ids in grid order. */
  tileIds: string[];
  tileSize: number;
  /** The model that planned the job (provenance of the result; the tile size comes from it). */
  segmenter: SegmenterInfo;
  /** The scene's size as the planning worker read it (the server checks it against the scene it registered). */
  sceneSize?: { width: number; height: number };
}

export interface TileUnit extends TileJobSpec {
  /** Index range [from, to) into the plan's tile ids. */
  from: number;
  to: number;
  tileIds: string[];
}

export interface StoredTileResult {
  tileId: string;
  /** One byte per pixel (probabilityCodec), base64. */
  probability: string;
  defects: SegmentationDefect[];
}

export interface TileUnitResult {
  tiles: StoredTileResult[];
  /** Tiles without a valid pixel. */
  skipped: string[];
  failed: { tileId: string; error: string }[];
  /** The model that segmented the unit (as wrapped for the scene), e.g. to report its provider. */
  segmenter: SegmenterInfo;
}

/** Model tiles per model call inside a unit (as `segment --batch`'s default). */
export const UNIT_BATCH = 4;

/**
 * The job options that change a tile's model input or result (the tile grid, bands, band roles, fusion, flip views),
 * as key material; flip views only when asked for, so the keys of jobs without them stay as they were.
 */
export function tileShapingOptions(o: JobOptions): unknown[] {
  return [o.overlap ?? null, o.bands ?? null, o.bandRoles ?? null, o.fusion ?? null, ...(o.flipViews && o.flipViews > 1 ? [o.flipViews] : [])];
}

/** A short key of everything that changes a tile's result. */
export function workKey(spec: TileJobSpec): string {
  const material = JSON.stringify([spec.model, spec.jobModel, spec.prompt, spec.sceneName, ...tileShapingOptions(spec.options)]);
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

export function planUnitId(spec: TileJobSpec): string {
  return `plan_${spec.jobId}_${workKey(spec)}`;
}

export function tileUnitId(spec: TileJobSpec, from: number, to: number): string {
  return `tiles_${spec.jobId}_${from}-${to}_${workKey(spec)}`;
}

/** Cut a plan's tiles into units of `unitTiles` consecutive tiles (grid order). */
export function cutTileUnits(spec: TileJobSpec, plan: TilePlan, unitTiles: number): TileUnit[] {
  const units: TileUnit[] = [];
  const n = Math.max(1, Math.floor(unitTiles));
  for (let from = 0; from < plan.tileIds.length; from += n) {
    const to = Math.min(plan.tileIds.length, from + n);
    units.push({ ...spec, from, to, tileIds: plan.tileIds.slice(from, to) });
  }
  return units;
}

export interface JobTileSource {
  /** The scene's segmenter as a server job runs it (band roles, water index, fusion: segmenterForScene). */
  segmenter: Segmenter;
  source: TileSource;
}

/**
 * What a job's units run on a scene: the segmenter the single-process job would use (the learned model
 * fused with the scene's water index as segmenterForScene decides) and its tile source (grid, bands,
 * stretch, spectral bands, exactly as segmentScene builds it).
 */
export async function openJobTileSource(scene: Scene, learned: Segmenter, spec: TileJobSpec, signal?: AbortSignal): Promise<JobTileSource> {
  const { segmenter, bands } = await segmenterForScene(scene, jobSceneModelRequest(spec.jobModel, spec.options, signal), async () => learned);
  const source = await createTileSource(scene, {
    tileSize: segmenter.info.inputSize,
    overlap: chosenOverlap(spec.options.overlap, segmenter.info.tileOverlap),
    bands,
    spectralBands: segmenter.info.spectralBands,
    signal,
  });
  return { segmenter, source };
}

/** The plan of a job: its tile ids, and the learned model (the finisher wraps it for the scene as the workers did). */
export function planTiles(source: TileSource, learned: Segmenter, scene: { width: number; height: number }): TilePlan {
  return { tileIds: source.grid.tiles.map((t) => t.id), tileSize: source.grid.tileSize, segmenter: learned.info, sceneSize: { width: scene.width, height: scene.height } };
}

/**
 * How a worker's plan saw the scene, when that is not the size the server registered (`info`: `waterline info
 * --json` of the server's file), e.g. `5000 x 4000 px (the server's is 3000 x 3000)`; undefined when they agree
 * or either is unknown. A worker that read another file under the scene's name plans another grid.
 */
export function planSceneMismatch(info: unknown, plan: TilePlan): string | undefined {
  const { width, height } = (info ?? {}) as { width?: unknown; height?: unknown };
  if (!plan.sceneSize || typeof width !== 'number' || typeof height !== 'number') return undefined;
  const seen = plan.sceneSize;
  return seen.width === width && seen.height === height ? undefined : `${seen.width} x ${seen.height} px (the server's is ${width} x ${height})`;
}

/** Segment one unit's tiles: read, run the model in batches, retry a failed batch tile by tile once. */
export async function segmentTileUnit(source: TileSource, segmenter: Segmenter, unit: TileUnit, signal?: AbortSignal): Promise<TileUnitResult> {
  const byId = new Map<string, GridTile>(source.grid.tiles.map((t) => [t.id, t]));
  const result: TileUnitResult = { tiles: [], skipped: [], failed: [], segmenter: segmenter.info };
  const checkAbort = (): void => {
    if (signal?.aborted) throw new CancelledError(`unit ${unit.from}-${unit.to} of job ${unit.jobId} cancelled`);
  };
  const ready: ModelTile[] = [];
  for (const id of unit.tileIds) {
    const tile = byId.get(id);
    if (!tile) throw new Error(`tile ${id} is not in the scene's grid (the scene or the model's tile size changed)`);
    checkAbort();
    const model = await source.readTile(tile, signal);
    if (model) ready.push(model);
    else result.skipped.push(id);
  }
  const finish = (model: ModelTile, probability: Float32Array, defects: SegmentationDefect[]): void => {
    if (probability.length !== model.size * model.size) {
      throw new Error(`model returned ${probability.length} probabilities for tile ${model.id}, expected ${model.size * model.size}`);
    }
    for (let i = 0; i < probability.length; i++) if (!model.valid[i]) probability[i] = Number.NaN;
    result.tiles.push({ tileId: model.id, probability: Buffer.from(quantizeProbability(probability)).toString('base64'), defects });
  };
  const prompt = unit.prompt;
  for (let k = 0; k < ready.length; k += UNIT_BATCH) {
    checkAbort();
    const batch = ready.slice(k, k + UNIT_BATCH);
    let outputs: Awaited<ReturnType<Segmenter['segment']>> | null = null;
    try {
      outputs = await segmenter.segment(batch, { prompt, signal });
      if (outputs.length !== batch.length) throw new Error(`model returned ${outputs.length} results for ${batch.length} tiles`);
    } catch {
      checkAbort();
      outputs = null;
    }
    for (let i = 0; i < batch.length; i++) {
      const model = batch[i];
      if (outputs) {
        try {
          finish(model, outputs[i].probability, outputs[i].defects);
          continue;
        } catch {
          checkAbort();
        }
      }
      try {
        const [retry] = await segmenter.segment([model], { prompt, signal });
        if (!retry) throw new Error('model returned no result');
        finish(model, retry.probability, retry.defects);
      } catch (err) {
        checkAbort();
        // stored and served to clients: never the scene's server path
        result.failed.push({ tileId: model.id, error: describeError(err).split(unit.scenePath).join(unit.sceneName) });
      }
    }
  }
  return result;
}
