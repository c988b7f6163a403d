/**
 * Calibrate the spectral water model for one scene: pick the index the band roles allow, read a scene-wide sample
 * of its bands (the same ≤512 px overview read / 16 windows as the stretch) and choose the threshold from it.
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import type { BandRoleAssignment } from '../core/bands/bandRoles.ts';
import { spectralPlane } from '../core/spectral/bandValues.ts';
import { chooseIndexThreshold, type ThresholdOptions } from '../core/spectral/indexThreshold.ts';
import type { SpectralCalibration } from '../core/spectral/spectralSegmenter.ts';
import { chooseWaterIndex, computeWaterIndex, indexBands, type WaterIndex, type WaterIndexName } from '../core/spectral/waterIndex.ts';
import { readSceneSample } from './tileSource.ts';

export interface CalibrationOptions extends ThresholdOptions {
  /** Force an index (default: the best the roles allow). */
  index?: WaterIndexName;
  signal?: AbortSignal;
}

/** The index of a scene-wide sample (NaN where undefined). */
export async function sampleWaterIndex(scene: Scene, index: WaterIndex, bands: number[], signal?: AbortSignal): Promise<Float32Array> {
  const sample = await readSceneSample(scene, [...new Set(bands)], signal);
  const unique = [...new Set(bands)];
  const n = sample.valid.length;
  const planes = bands.map((b) => spectralPlane(sample.bands[unique.indexOf(b)], sample.valid, scene.info.bands[b - 1], n, 1, new Float32Array(n), n));
  return computeWaterIndex(index, planes, new Float32Array(n));
}

/** Null when the roles allow no water index (RGB or panchromatic scenes). */
export async function calibrateSpectralWater(scene: Scene, roles: BandRoleAssignment, options: CalibrationOptions = {}): Promise<SpectralCalibration | null> {
  const index = chooseWaterIndex(roles.roles, options.index);
  if (!index) return null;
  const bands = indexBands(index, roles.roles);
  const values = await sampleWaterIndex(scene, index, bands, options.signal);
  const threshold = chooseIndexThreshold(values, index, options);
  const rolesGuessed = index.roles.some((r) => roles.sources[r === 'nir' && roles.roles.nir === undefined ? 'nir08' : r] === 'band-count');
  return { index, bands, threshold, roles: roles.roles, rolesGuessed };
}
