/**
 * `waterline eval`: score any Segmenter against image/mask pairs.
 *
 * Pairs are matched by file stem (`images/lake_1.jpg` ↔ `masks/lake_1.png`). Each image is stretched to the
 * model's input size (bilinear, aspect ratio not kept — the same preparation the U-Net was trained with;
 * adapters/images/stretchedImageFiles.ts), run through the segmenter as one tile (all pixels valid), and
 * compared with its mask resized the same way and thresholded at 128 (white = water). Metrics are
 * pixel-level and micro-averaged: the confusion matrix is summed over every pixel of every pair before
 * IoU/F1/precision/recall are computed.
 */
import { CancelledError } from '../core/errors.ts';
import { accumulateConfusion, emptyConfusion, metricsFromConfusion, type ConfusionCounts, type MaskMetrics } from '../core/masks/metrics.ts';
import type { Segmenter } from '../core/model/segmenter.ts';
import { PROBABILITY_NODATA, PROBABILITY_SCALE } from '../core/masks/probabilityCodec.ts';
import { readStretchedImageTile, readStretchedMaskGrey } from '../adapters/images/stretchedImageFiles.ts';
import { findImageMaskPairs } from '../adapters/files/imageMaskPairs.ts';
import { readSceneTruth } from './sceneTruth.ts';
import type { SceneModel } from './waterDates.ts';

export interface EvaluationResult extends MaskMetrics {
  /** Number of image/mask pairs scored. */
  count: number;
  /** Pixels scored (count x inputSize²). */
  pixels: number;
  model: string;
  provider: string;
  /** Side of the square each pair was resized to (the model input size). */
  inputSize: number;
  averaging: 'micro';
  threshold: number;
  /** Images in DIR without a mask (by stem), not scored. */
  unmatched: number;
}

export interface EvaluatePairsOptions {
  segmenter: Segmenter;
  /** Tiles per segmenter call (default 8). */
  batchSize?: number;
  /** Probability at or above which a pixel is water (default 0.5). */
  threshold?: number;
  prompt?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Score `segmenter` on the pairs of two directories. */
export async function evaluatePairs(imagesDir: string, masksDir: string, options: EvaluatePairsOptions): Promise<EvaluationResult> {
  const { pairs, unmatched } = findImageMaskPairs(imagesDir, masksDir);
  const size = options.segmenter.info.inputSize;
  const batchSize = Math.max(1, options.batchSize ?? 8);
  const threshold = options.threshold ?? 0.5;
  const counts: ConfusionCounts = emptyConfusion();
  let done = 0;
  options.onProgress?.(0, pairs.length);
  for (let k = 0; k < pairs.length; k += batchSize) {
    if (options.signal?.aborted) throw new CancelledError('evaluation cancelled');
    const batch = pairs.slice(k, k + batchSize);
    const tiles = await Promise.all(batch.map((p) => readStretchedImageTile(p.image, size, p.stem)));
    const masks = await Promise.all(batch.map((p) => readStretchedMaskGrey(p.mask, size)));
    const results = await options.segmenter.segment(tiles, { prompt: options.prompt ?? 'segment water', signal: options.signal });
    results.forEach((r, i) => accumulateConfusion(counts, r.probability, masks[i], { threshold, truthThreshold: 128 }));
    done += batch.length;
    options.onProgress?.(done, pairs.length);
  }
  return {
    ...metricsFromConfusion(counts),
    count: pairs.length,
    pixels: counts.tp + counts.fp + counts.fn + counts.tn,
    model: options.segmenter.info.name,
    provider: options.segmenter.info.provider,
    inputSize: size,
    averaging: 'micro',
    threshold,
    unmatched,
  };
}

export interface EvaluateSceneOptions {
  /** The segmenter and RGB bands for the scene (as `segment` chooses them: band roles, index, fusion). */
  model: SceneModel;
  /** Probability at or above which a pixel is water (default 0.5). */
  threshold?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface SceneEvaluationResult extends EvaluationResult {
  scene: string;
  truth: string[];
  /** The output provenance of the run's model (water index, threshold, fusion). */
  provenance: Record<string, unknown>;
  /** Fraction of scored pixels that are water in the truth / in the prediction. */
  truthWaterFraction: number;
  predictedWaterFraction: number;
  warnings: string[];
}

/**
 * Score a model on a georeferenced scene against truth on its grid (src/pipeline/sceneTruth.ts: a label raster,
 * 1 water / 0 dry / -1 or nodata ignored, or WGS84 water polygons). The scene goes through the pipeline's tiling
 * and overlap blending (not vectorized); pixels that are nodata in the scene or unscored in the truth are not
 * counted. `count` is 1 (one scene).
 */
export async function evaluateScene(scenePath: string, truthPaths: string[], options: EvaluateSceneOptions): Promise<SceneEvaluationResult> {
  const { openImagery } = await import('../adapters/raster/openScene.ts');
  const { blendSceneProbability } = await import('./segmentScene.ts');
  const scene = await openImagery(scenePath, { signal: options.signal });
  try {
    const { width, height } = scene.info;
    const truth = await readSceneTruth(truthPaths, scene.info, options.signal);
    const threshold = options.threshold ?? 0.5;
    const { segmenter, bands } = await options.model.forScene(scene);
    const { probability } = await blendSceneProbability(scene, segmenter, {
      ...options.model.options,
      bands,
      signal: options.signal,
      onProgress: (p) => options.onProgress?.(p.tilesDone, p.tilesTotal),
    });
    const valid = new Uint8Array(width * height);
    const predicted = new Float32Array(width * height);
    let truthWater = 0;
    let predictedWater = 0;
    let scored = 0;
    for (let i = 0; i < valid.length; i++) {
      valid[i] = probability[i] !== PROBABILITY_NODATA && truth.valid[i] ? 1 : 0;
      predicted[i] = probability[i] / PROBABILITY_SCALE;
      if (valid[i]) {
        scored++;
        truthWater += truth.water[i];
        if (predicted[i] >= threshold) predictedWater++;
      }
    }
    const counts = accumulateConfusion(emptyConfusion(), predicted, truth.water, { threshold, valid });
    return {
      ...metricsFromConfusion(counts),
      count: 1,
      pixels: counts.tp + counts.fp + counts.fn + counts.tn,
      model: segmenter.info.name,
      provider: segmenter.info.provider,
      inputSize: segmenter.info.inputSize,
      averaging: 'micro',
      threshold,
      unmatched: 0,
      scene: scenePath,
      truth: truthPaths,
      provenance: segmenter.info.provenance ?? {},
      truthWaterFraction: scored ? truthWater / scored : 0,
      predictedWaterFraction: scored ? predictedWater / scored : 0,
      warnings: truth.warnings,
    };
  } finally {
    await scene.close();
  }
}
