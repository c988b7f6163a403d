/**
 * Fusion (the default, `--model auto`, on scenes with NIR or SWIR): the learned model's probability and the
 * spectral evidence combined per pixel in log-odds,
 *
 *     z = zᵢ + w · clamp(logit(p_model), ±L),   zᵢ = (index − t) / s,   p = sigmoid(z)
 *
 * with t and s the scene's index threshold and softness (indexThreshold.ts). The index leads: where it is sure
 * (a pixel at a class mean has |zᵢ| ≈ 4) the model cannot overturn it (w·L = 2 by default); near the threshold —
 * mixed shore pixels, turbid or glinting water, shadows whose index sits between the classes — the model decides.
 * When the index histogram has one mode and the index has no physical zero (darkness indices), zᵢ is halved so
 * the model carries more weight. Where the index is undefined (a band nodata or saturated) the model's
 * probability is used alone.
 *
 * **The model earns its weight per tile.** w = base weight × reliability, where reliability comes from the pixels
 * on which the index is sure (|zᵢ| ≥ 2): the model's recall of the index's water there and of its dry land there
 * (each counted when it has ≥ `MIN_CONFIDENT` pixels); r = the lower of the two, mapped linearly from 0.5 (no
 * weight) to 0.9 (full weight). A model that misses the open water or calls the fields water where the spectra are
 * unambiguous is not trusted near the threshold either, so fusion never does much worse than the index alone,
 * and a model that agrees where the physics is clear decides where it is not.
 *
 * The learned model belongs to the caller: dispose() does not dispose it.
 */
import type { ModelTile, Segmenter, SegmentOptions, TileSegmentation } from '../model/segmenter.ts';
import { calibrationProvenance, type SpectralCalibration } from './spectralSegmenter.ts';
import { sigmoid, spectralBandsOf, tileWaterLogOdds } from './waterLogOdds.ts';

export interface FusionOptions {
  /** Weight of the model's log-odds (default 0.5). */
  modelWeight?: number;
  /** Clamp of the model's log-odds (default 4). */
  modelLogitClamp?: number;
}

export const DEFAULT_FUSION: Required<FusionOptions> = { modelWeight: 0.5, modelLogitClamp: 4 };

/** |zᵢ| from which the index is taken as sure when judging the model. */
export const CONFIDENT_Z = 2;
/** Fewest sure pixels of a class for the model's recall of that class to count. */
export const MIN_CONFIDENT = 50;

/**
 * How far the model agrees with the index where the index is sure, 0..1 (1 when there is nothing to judge by):
 * min(recall of sure water, recall of sure dry) mapped from [0.5, 0.9] to [0, 1].
 */
export function modelReliability(zIndex: Float32Array, pModel: Float32Array): number {
  let water = 0;
  let waterHit = 0;
  let dry = 0;
  let dryHit = 0;
  for (let i = 0; i < zIndex.length; i++) {
    const z = zIndex[i];
    const p = pModel[i];
    if (Number.isNaN(z) || Number.isNaN(p)) continue;
    if (z >= CONFIDENT_Z) {
      water++;
      if (p >= 0.5) waterHit++;
    } else if (z <= -CONFIDENT_Z) {
      dry++;
      if (p < 0.5) dryHit++;
    }
  }
  let r = 1;
  if (water >= MIN_CONFIDENT) r = Math.min(r, waterHit / water);
  if (dry >= MIN_CONFIDENT) r = Math.min(r, dryHit / dry);
  return Math.max(0, Math.min(1, (r - 0.5) / 0.4));
}

function logit(p: number, clamp: number): number {
  const eps = 1e-6;
  const q = p < eps ? eps : p > 1 - eps ? 1 - eps : p;
  const z = Math.log(q / (1 - q));
  return z > clamp ? clamp : z < -clamp ? -clamp : z;
}

/** Fuse one pixel: index value (NaN = none) with the model probability (NaN = none). */
export function fusePixel(zi: number, pModel: number, modelWeight: number, clamp: number): number {
  if (Number.isNaN(zi)) return pModel;
  const z = Number.isNaN(pModel) ? zi : zi + modelWeight * logit(pModel, clamp);
  return sigmoid(z);
}

export function createFusedSegmenter(learned: Segmenter, calibration: SpectralCalibration, options: FusionOptions = {}): Segmenter {
  const o = { ...DEFAULT_FUSION, ...options };
  return {
    info: {
      ...learned.info,
      name: `${learned.info.name}+${calibration.index.name}`,
      kind: `${learned.info.kind}+spectral`,
      spectralBands: spectralBandsOf(calibration),
      provenance: {
        ...learned.info.provenance,
        learnedModel: learned.info.name,
        waterIndex: calibrationProvenance(calibration),
        fusion: { method: 'log-odds, model weight × per-tile reliability', modelWeight: o.modelWeight, modelLogitClamp: o.modelLogitClamp },
      },
    },
    async segment(tiles: ModelTile[], options: SegmentOptions): Promise<TileSegmentation[]> {
      const results = await learned.segment(tiles, options);
      return results.map((r, k) => {
        const zIndex = tileWaterLogOdds(tiles[k], calibration);
        const weight = o.modelWeight * modelReliability(zIndex, r.probability);
        const probability = new Float32Array(zIndex.length);
        for (let i = 0; i < zIndex.length; i++) probability[i] = fusePixel(zIndex[i], r.probability[i], weight, o.modelLogitClamp);
        return { ...r, probability };
      });
    },
    async dispose() {},
  };
}
