/**
 * Which segmenter maps a given scene, decided from the request and the scene's band roles:
 *
 * - `auto` (the default): the default learned model (the U-Net unless a PaliGemma is configured), fused with the
 *   spectral water index when the scene has NIR or SWIR (src/core/spectral/fusedSegmenter.ts); RGB-only and
 *   panchromatic scenes get the learned model alone.
 * - `waterline-spectral`: the water index alone (an error when the scene's bands allow none).
 * - any learned model (`waterline-unet`, a PaliGemma name or directory): fused the same way, unless `fusion` is
 *   false (`--fusion none`), which runs the model alone.
 *
 * The learned model is loaded through `loadLearned` and stays the caller's (CLI: disposed after the run; server:
 * cached across jobs).
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import { DEFAULT_MODEL_NAME, SPECTRAL_MODEL_NAME } from '../core/model/modelNames.ts';
import { applyBandRoles, BandRoleError, inferBandRoles, parseBandRoles, type BandRoleAssignment } from '../core/bands/bandRoles.ts';
import { InputError } from '../core/errors.ts';
import type { Segmenter } from '../core/model/segmenter.ts';
import { flipAveragedSegmenter, type FlipViewCount } from '../core/model/flipViews.ts';
import type { JobOptions } from '../core/jobRecords.ts';
import { createFusedSegmenter, type FusionOptions } from '../core/spectral/fusedSegmenter.ts';
import { createSpectralSegmenter, type SpectralCalibration } from '../core/spectral/spectralSegmenter.ts';
import type { WaterIndexName } from '../core/spectral/waterIndex.ts';
import { calibrateSpectralWater } from './spectralCalibration.ts';
import { defaultBands } from './tileSource.ts';
import type { SceneModel } from './waterDates.ts';

export interface SceneModelRequest {
  /** `auto` (default), `waterline-spectral`, or a learned model name/directory. */
  model?: string;
  /** Fuse a learned model with the water index where the scene has the bands (default true). */
  fusion?: boolean;
  /** The user's `--band-roles` text (`green=3,nir=8`), applied over the inferred roles. */
  bandRoles?: string;
  /** The user's `--bands` (RGB picture), already parsed. */
  bands?: number[];
  /** Force a water index instead of the best the roles allow. */
  index?: WaterIndexName;
  /** Threshold rule of the water index (default valley-otsu). */
  thresholdMethod?: 'valley-otsu' | 'otsu';
  /** Fusion weights (default DEFAULT_FUSION). */
  fusionOptions?: FusionOptions;
  /** Average the learned model over this many flipped views of each tile (core/model/flipViews.ts; default 1: none). */
  flipViews?: FlipViewCount;
  signal?: AbortSignal;
}

export interface SceneSegmenter {
  segmenter: Segmenter;
  roles: BandRoleAssignment;
  /** RGB picture bands for the tiles (learned models, imagery). */
  bands: number[];
  calibration: SpectralCalibration | null;
  /** Why a water index the roles allowed was not used (guessed roles that fail the plausibility check). */
  rejectedIndex?: string;
}

/** Band roles of a scene with the user's overrides; BandRoleError becomes one clear InputError line. */
export function sceneBandRoles(scene: Scene, userRoles?: string): BandRoleAssignment {
  const inferred = inferBandRoles(scene.info.bands);
  if (!userRoles) return inferred;
  try {
    return applyBandRoles(inferred, parseBandRoles(userRoles, scene.info.bands.length));
  } catch (err) {
    if (err instanceof BandRoleError) throw new InputError('bad_band_roles', `${scene.info.source}: ${err.message}`, { hint: 'e.g. --band-roles green=3,nir=8,swir1=11 (see `waterline info` for the bands)' });
    throw err;
  }
}

export async function segmenterForScene(
  scene: Scene,
  request: SceneModelRequest,
  loadLearned: (model: string | undefined) => Promise<Segmenter>,
): Promise<SceneSegmenter> {
  const roles = sceneBandRoles(scene, request.bandRoles);
  const bands = request.bands ?? defaultBands(scene.info, roles);
  const model = request.model ?? DEFAULT_MODEL_NAME;
  // the learned model `model` stands for (auto: the configured default), averaged over flipped views if asked
  const loadModel = async (): Promise<Segmenter> =>
    flipAveragedSegmenter(await loadLearned(model === DEFAULT_MODEL_NAME ? undefined : model), request.flipViews ?? 1);
  const wantsIndex = model === SPECTRAL_MODEL_NAME || request.fusion !== false;
  const calibration = wantsIndex ? await calibrateSpectralWater(scene, roles, { index: request.index, method: request.thresholdMethod, signal: request.signal }) : null;
  if (calibration?.implausible) {
    if (model === SPECTRAL_MODEL_NAME) {
      throw new InputError('implausible_band_roles', `${scene.info.source}: ${calibration.implausible}`, { hint: 'say what the bands are with --band-roles (e.g. swir1=1,nir=2,red=3,green=4)' });
    }
    // auto / a learned model: the learned model alone, and the run says why the index was left out
    const learned = await loadModel();
    const segmenter: Segmenter = {
      info: { ...learned.info, provenance: { ...learned.info.provenance, waterIndex: { rejected: calibration.implausible } } },
      segment: (tiles, options) => learned.segment(tiles, options),
      async dispose() {},
    };
    return { segmenter, roles, bands, calibration: null, rejectedIndex: calibration.implausible };
  }
  if (model === SPECTRAL_MODEL_NAME) {
    if (!calibration) {
      const have = Object.keys(roles.roles).join(', ') || 'none';
      throw new InputError('no_water_index', `${scene.info.source}: ${request.index ? `the ${request.index} index` : 'no water index'} can be computed from its bands (roles: ${have}; an index needs green+SWIR, green+NIR, or NIR)`, {
        hint: 'name the bands with --band-roles (e.g. green=2,nir=4), or use --model auto',
      });
    }
    return { segmenter: createSpectralSegmenter(calibration), roles, bands, calibration };
  }
  const learned = await loadModel();
  const segmenter = calibration ? createFusedSegmenter(learned, calibration, request.fusionOptions) : learned;
  return { segmenter, roles, bands, calibration };
}

/** The request a server job's model and options make (segment and change jobs, and a distributed job's units, alike). */
export function jobSceneModelRequest(model: string | null | undefined, options: JobOptions, signal?: AbortSignal): SceneModelRequest {
  return {
    model: model ?? DEFAULT_MODEL_NAME,
    fusion: options.fusion !== 'none',
    bandRoles: options.bandRoles,
    bands: options.bands,
    flipViews: options.flipViews,
    signal,
  };
}

export interface SceneModelSettings extends Omit<SceneModelRequest, 'bands' | 'signal'> {
  prompt?: string;
  batch?: number;
  overlap?: number;
}

/**
 * A SceneModel (what `segment`, `eval --scene` and `change` map scenes with) for one request: `forScene` decides
 * each scene's segmenter; learned models are loaded once through `loadLearned` and disposed by `dispose`.
 */
export function createSceneModel(settings: SceneModelSettings, load: (model: string | undefined) => Promise<Segmenter>): SceneModel & {
  forScene(scene: Scene, bands?: number[]): Promise<SceneSegmenter>;
  dispose(): Promise<void>;
} {
  const learned = new Map<string, Promise<Segmenter>>();
  const loadLearned = (model: string | undefined): Promise<Segmenter> => {
    const key = model ?? '';
    let p = learned.get(key);
    if (!p) {
      p = load(model);
      learned.set(key, p);
    }
    return p;
  };
  return {
    options: { prompt: settings.prompt ?? 'segment water', batch: settings.batch ?? 4, overlap: settings.overlap },
    forScene(scene: Scene, bands?: number[]) {
      return segmenterForScene(scene, { ...settings, bands }, loadLearned);
    },
    async dispose() {
      for (const p of learned.values()) await (await p.catch(() => null))?.dispose();
    },
  };
}
