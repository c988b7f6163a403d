/**
 * Calibrate the spectral water model for one scene: pick the index the band roles allow, read a scene-wide sample
 * of its bands (the same ≤512 px overview read / 16 windows as the stretch) and choose the threshold from it.
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import type { BandRoleAssignment } from '../core/bands/bandRoles.ts';
import { formatBandRoles } from '../core/bands/bandRoles.ts';
import { spectralPlane } from '../core/spectral/bandValues.ts';
import { checkGuessedRoles } from '../core/spectral/roleGuessCheck.ts';
import { chooseIndexThreshold, type ThresholdOptions } from '../core/spectral/indexThreshold.ts';
import type { SpectralCalibration } from '../core/spectral/spectralSegmenter.ts';
import { chooseWaterIndex, computeWaterIndex, indexBands, type WaterIndexName } from '../core/spectral/waterIndex.ts';
import { readSceneSample } from './tileSource.ts';

export interface CalibrationOptions extends ThresholdOptions {
  /** Force an index (default: the best the roles allow). */
  index?: WaterIndexName;
  /** The bright-NIR veto against snow/ice/cloud with MNDWI (default true). */
  brightNirVeto?: boolean;
  signal?: AbortSignal;
}

/** Scaled values of `bands` over a scene-wide sample (NaN where nodata or saturated), one plane per band. */
export async function sampleSpectralPlanes(scene: Scene, bands: number[], signal?: AbortSignal): Promise<Float32Array[]> {
  const unique = [...new Set(bands)];
  const sample = await readSceneSample(scene, unique, signal);
  const n = sample.valid.length;
  return bands.map((b) => spectralPlane(sample.bands[unique.indexOf(b)], sample.valid, scene.info.bands[b - 1], n, 1, new Float32Array(n), n));
}

/** Fewest dry-class samples for the bright-NIR veto limit (below: no veto). */
const MIN_DRY_SAMPLES = 100;

/** The median NIR of the pixels below the threshold (the scene's dry land), or null. */
export function dryNirMedian(index: Float32Array, nir: Float32Array, threshold: number): number | null {
  const dry: number[] = [];
  for (let i = 0; i < index.length; i++) if (index[i] < threshold && Number.isFinite(nir[i])) dry.push(nir[i]);
  if (dry.length < MIN_DRY_SAMPLES) return null;
  dry.sort((a, b) => a - b);
  const m = dry[dry.length >> 1];
  return m > 0 ? m : null;
}

/** Null when the roles allow no water index (RGB or panchromatic scenes). */
export async function calibrateSpectralWater(scene: Scene, roles: BandRoleAssignment, options: CalibrationOptions = {}): Promise<SpectralCalibration | null> {
  const index = chooseWaterIndex(roles.roles, options.index);
  if (!index) return null;
  const bands = indexBands(index, roles.roles);
  // guessed: some band the index reads has its role from the band count only
  const rolesGuessed = bands.some((b) => {
    const role = roles.byBand[b - 1];
    return role !== null && roles.sources[role] === 'band-count';
  });
  const nir = roles.roles.nir ?? roles.roles.nir08;
  const nirBand = index.name === 'mndwi' && options.brightNirVeto !== false ? nir : undefined;
  // One scene-wide read: the index's bands (+ NIR for the veto), or every band when guessed roles must be checked.
  const all = scene.info.bands.filter((b) => b.colorInterpretation !== 'Alpha').map((b) => b.band);
  const read = rolesGuessed ? [...new Set([...bands, ...(nirBand ? [nirBand] : []), ...all])] : nirBand ? [...bands, nirBand] : bands;
  const planes = await sampleSpectralPlanes(scene, read, options.signal);
  const plane = (band: number): Float32Array => planes[read.indexOf(band)];
  const values = computeWaterIndex(index, bands.map(plane), new Float32Array(planes[0].length));
  const threshold = chooseIndexThreshold(values, index, options);
  const limit = nirBand ? dryNirMedian(values, plane(nirBand), threshold.threshold) : null;
  let implausible: string | undefined;
  if (rolesGuessed) {
    const check = checkGuessedRoles(values, threshold.threshold, all.map(plane), nir ? all.indexOf(nir) : -1);
    if (!check.ok) {
      implausible = `with the band roles guessed from the band count (${formatBandRoles(roles.roles)}), the ${index.name} index's water is brighter than the land (x${check.brightnessRatio.toFixed(2)} over all bands, x${check.nirRatio.toFixed(2)} in the NIR band), which open water is not: the bands are probably in another order`;
    }
  }
  return {
    index, bands, threshold, roles: roles.roles, rolesGuessed,
    ...(nirBand && limit !== null ? { brightNirVeto: { band: nirBand, limit } } : {}),
    ...(implausible ? { implausible } : {}),
  };
}
