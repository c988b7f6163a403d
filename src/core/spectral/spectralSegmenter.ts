/**
 * `waterline-spectral`: water from the scene's own bands — a water index (src/core/spectral/waterIndex.ts) turned
 * into a soft probability with the scene's threshold (src/core/spectral/indexThreshold.ts). It is a Segmenter like
 * the learned models, so it tiles, blends, stitches and vectorizes the same way; it reads `ModelTile.spectral`
 * (the bands it declares in `info.spectralBands`) and ignores the RGB picture. Pixels where the index cannot be
 * computed (nodata or saturated in a band it needs) come out NaN: no data.
 */
import type { ModelTile, Segmenter, SegmenterInfo, TileSegmentation } from '../model/segmenter.ts';
import { formatBandRoles, type BandRole } from '../bands/bandRoles.ts';
import type { IndexThreshold } from './indexThreshold.ts';
import type { WaterIndex } from './waterIndex.ts';
import { sigmoid, spectralBandsOf, tileWaterLogOdds } from './waterLogOdds.ts';

import { BUILTIN_MODEL_TILE_SIZE, SPECTRAL_MODEL_NAME } from '../model/modelNames.ts';

/** Everything the spectral model needs to know about one scene, decided once from a scene-wide sample. */
export interface SpectralCalibration {
  index: WaterIndex;
  /** 1-based scene bands, one per `index.roles` entry. */
  bands: number[];
  threshold: IndexThreshold;
  /** The scene's band roles (provenance). */
  roles: Partial<Record<BandRole, number>>;
  /** True when a role the index uses rests only on the band count. */
  rolesGuessed: boolean;
  /** The bright-NIR veto against snow, ice and cloud (MNDWI with a NIR band; see waterLogOdds.ts). */
  brightNirVeto?: { band: number; limit: number };
  /** Why the index must not be used: guessed roles that fail the plausibility check (roleGuessCheck.ts). */
  implausible?: string;
}

/** The provenance record of a calibration (output `waterline.waterIndex`). */
export function calibrationProvenance(c: SpectralCalibration): Record<string, unknown> {
  const t = c.threshold;
  return {
    name: c.index.name,
    bands: c.bands,
    roles: formatBandRoles(c.roles),
    rolesGuessed: c.rolesGuessed,
    threshold: Number(t.threshold.toFixed(6)),
    thresholdMethod: t.method,
    unimodal: t.unimodal,
    valleyRatio: Number(t.valleyRatio.toFixed(4)),
    sceneWaterFraction: Number(t.waterFraction.toFixed(4)),
    softness: Number(t.softness.toFixed(6)),
    sampleSize: t.sampleSize,
    brightNirVeto: c.brightNirVeto ? { band: c.brightNirVeto.band, limit: Number(c.brightNirVeto.limit.toPrecision(6)) } : null,
  };
}

export function createSpectralSegmenter(calibration: SpectralCalibration, inputSize = BUILTIN_MODEL_TILE_SIZE): Segmenter {
  const info: SegmenterInfo = {
    name: SPECTRAL_MODEL_NAME,
    kind: 'spectral',
    inputSize,
    provider: 'cpu',
    usesPrompt: false,
    spectralBands: spectralBandsOf(calibration),
    provenance: { waterIndex: calibrationProvenance(calibration), fusion: 'none' },
  };
  return {
    info,
    async segment(tiles: ModelTile[]): Promise<TileSegmentation[]> {
      return tiles.map((tile) => {
        const z = tileWaterLogOdds(tile, calibration);
        const probability = new Float32Array(z.length);
        for (let i = 0; i < z.length; i++) probability[i] = Number.isNaN(z[i]) ? Number.NaN : sigmoid(z[i]);
        return { tileId: tile.id, probability, defects: [] };
      });
    },
    async dispose() {},
  };
}
