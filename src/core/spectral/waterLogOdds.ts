/**
 * The spectral evidence of a tile as water log-odds per pixel, shared by `waterline-spectral` (p = sigmoid(z)) and
 * fusion (z plus the model's weighted log-odds):
 *
 *     z = (index − t) / s                       (t, s: the scene's threshold and softness)
 *     z ← z / 2                                 when the index histogram had one mode and the index has no physical zero
 *     z ← z − max(0, (NIR − L) / (0.05 · L))    the bright-NIR veto, with MNDWI when the scene has NIR
 *
 * **Bright-NIR veto (snow, ice, cloud).** Snow and ice are dark in SWIR and bright in green, so MNDWI calls them
 * water; water, however, absorbs NIR, while snow, ice and cloud reflect it more than vegetated or bare land does. L is
 * the median NIR of the scene's dry class (pixels below the MNDWI threshold in the scene-wide sample): a pixel
 * brighter in NIR than typical land loses 4 log-odds at 1.2·L and is dry by 1.5·L. Turbid water (NIR ≈ 0.05–0.12
 * reflectance) stays well below land (≈ 0.2–0.4) and keeps its index.
 *
 * NaN where the index cannot be computed (a band nodata or saturated).
 */
import type { ModelTile } from '../model/segmenter.ts';
import type { SpectralCalibration } from './spectralSegmenter.ts';
import { computeWaterIndex } from './waterIndex.ts';

export const Z_LIMIT = 30;

/** Log-odds of one index value (before the veto). */
export function indexLogOdds(index: number, calibration: SpectralCalibration): number {
  const t = calibration.threshold;
  let z = (index - t.threshold) / t.softness;
  if (t.unimodal && calibration.index.physicalThreshold === null) z *= 0.5;
  return z > Z_LIMIT ? Z_LIMIT : z < -Z_LIMIT ? -Z_LIMIT : z;
}

/** Log-odds taken off a pixel whose NIR is `nir` (0 when there is no veto or NIR is not bright). */
export function brightNirPenalty(nir: number, limit: number): number {
  if (!(nir > limit) || !(limit > 0)) return 0;
  return (nir - limit) / (0.05 * limit);
}

export function tileWaterLogOdds(tile: ModelTile, calibration: SpectralCalibration): Float32Array {
  const planes = tile.spectral;
  const bands = spectralBandsOf(calibration);
  if (!planes || planes.length !== bands.length) {
    throw new Error(`tile ${tile.id} carries ${planes?.length ?? 0} spectral band(s); the ${calibration.index.name} evidence needs bands ${bands.join(',')}`);
  }
  const n = tile.size * tile.size;
  const z = computeWaterIndex(calibration.index, planes.slice(0, calibration.bands.length), new Float32Array(n));
  const veto = calibration.brightNirVeto;
  const nir = veto ? planes[calibration.bands.length] : null;
  for (let i = 0; i < n; i++) {
    const v = z[i];
    if (Number.isNaN(v)) continue;
    let zi = indexLogOdds(v, calibration);
    if (nir && veto) zi -= brightNirPenalty(nir[i], veto.limit);
    z[i] = zi < -Z_LIMIT ? -Z_LIMIT : zi;
  }
  return z;
}

/** The scene bands the spectral evidence reads, in the order of `ModelTile.spectral`: the index's, then the veto's. */
export function spectralBandsOf(calibration: SpectralCalibration): number[] {
  return calibration.brightNirVeto ? [...calibration.bands, calibration.brightNirVeto.band] : calibration.bands;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}
