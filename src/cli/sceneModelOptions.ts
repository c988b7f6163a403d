/**
 * How `segment` (and every command that maps water in a scene the same way, such as `change`) chooses the
 * model and the tiling/band options for a scene: the flags, and the one function that turns them into a
 * loaded Segmenter plus the blend options for each scene. Commands call these so that a new way of
 * choosing a model reaches all of them at once.
 */
import type { Command } from 'commander';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import type { Scene } from '../adapters/raster/openScene.ts';
import { formatBandRoles } from '../core/bands/bandRoles.ts';
import { InputError } from '../core/errors.ts';
import { FLIP_VIEW_COUNTS, isFlipViewCount, type FlipViewCount } from '../core/model/flipViews.ts';
import { DEFAULT_UNET_VERSION, UNET_MODEL_NAME, VERSIONED_UNET_NAMES } from '../core/model/modelNames.ts';
import type { SpectralCalibration } from '../core/spectral/spectralSegmenter.ts';
import { WATER_INDICES, type WaterIndexName } from '../core/spectral/waterIndex.ts';
import { createSceneModel, type SceneSegmenter } from '../pipeline/sceneSegmenter.ts';
import { parseBands } from '../pipeline/tileSource.ts';
import type { SceneModel } from '../pipeline/waterDates.ts';
import type { CliContext } from './context.ts';
import { numberOption } from './numberOption.ts';

export interface SceneModelFlags {
  model?: string;
  prompt: string;
  device?: string;
  batch: string;
  overlap?: string;
  bands?: string;
  bandRoles?: string;
  fusion?: string;
  index?: string;
  vae?: string;
  flipViews?: string;
}

/** Register the model/tiling flags `segment` has. */
export function addSceneModelOptions(command: Command): Command {
  return command
    .option('--model <name|dir>', `auto (learned model + water index where the scene has NIR/SWIR), waterline-spectral (index only), ${UNET_MODEL_NAME} (= ${DEFAULT_UNET_VERSION}), ${VERSIONED_UNET_NAMES.filter((n) => n !== DEFAULT_UNET_VERSION).join(', ')}, a PaliGemma directory or cached name (default: WATERLINE_MODEL or auto)`)
    .option('--band-roles <list>', 'what the bands are, over what the file says: e.g. green=3,nir=8,swir1=11 (roles: blue, green, red, nir, swir1, swir2, pan, ...)')
    .option('--fusion <mode>', 'auto (fuse a learned model with the water index when the scene has the bands) | none (learned model alone)', 'auto')
    .option('--index <name>', 'water index instead of the best the bands allow: mndwi | ndwi | nir-swir-darkness | nir-darkness')
    .option('--prompt <text>', 'prompt for PaliGemma models', 'segment water')
    .option('--device <device>', 'auto | cpu | cuda | webgpu (default: WATERLINE_DEVICE or auto)')
    .option('--batch <n>', 'tiles per model call', '4')
    .option('--overlap <px>', 'overlap between neighbouring tiles, blended (default: what the model\'s manifest asks for, else 32)')
    .option('--bands <list>', '1-based bands as R,G,B (e.g. 3,2,1) or one grey band for the learned model (default: from the band roles)')
    .option('--vae <file>', 'segmentation VAE (vae-oid.npz) for PaliGemma models (default: <models dir>/vae/vae-oid.npz)')
    .option('--flip-views <n>', `average the learned model over n mirrored views of each tile: ${FLIP_VIEW_COUNTS.join(', ')} (n times the model's time; less false water on snow and bright land, but less open sea: README, Flip views)`, '1');
}

/** `--flip-views`: 1, 2 or 4. */
export function parseFlipViews(text: string | undefined): FlipViewCount {
  const n = text === undefined ? 1 : Number(text);
  if (!isFlipViewCount(n)) {
    throw new InputError('bad_option', `--flip-views "${text}" is not one of ${FLIP_VIEW_COUNTS.join(', ')}`, { hint: 'use --flip-views 2 (each tile and its mirror image) or 4; 1 turns it off' });
  }
  return n;
}

/** Parse the flags and prepare the model; `forScene` decides the segmenter of each scene. Dispose when done. */
export interface CliSceneModel extends SceneModel {
  forScene(scene: Scene): Promise<SceneSegmenter>;
  /** Disposes the learned models loaded for the scenes. */
  dispose(): Promise<void>;
}

export function loadSceneModel(flags: SceneModelFlags, ctx: CliContext): CliSceneModel {
  const batch = numberOption('batch', flags.batch, { integer: true, min: 1, max: 1024 });
  const overlap = flags.overlap === undefined ? undefined : numberOption('overlap', flags.overlap, { integer: true, min: 0 });
  const device = parseDevice(flags.device ?? ctx.env.device);
  if (flags.fusion !== undefined && flags.fusion !== 'auto' && flags.fusion !== 'none') {
    throw new InputError('bad_option', `--fusion "${flags.fusion}" is not auto or none`, { hint: 'use --fusion auto (default) or --fusion none' });
  }
  const index = flags.index === undefined ? undefined : parseIndexName(flags.index);
  const flipViews = parseFlipViews(flags.flipViews);
  const model = createSceneModel({ model: flags.model ?? ctx.env.model, fusion: flags.fusion !== 'none', bandRoles: flags.bandRoles, index, prompt: flags.prompt, batch, overlap, flipViews },
    (name) => loadSegmenter({ model: name, device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logger: ctx.logger }));
  return {
    ...model,
    async forScene(scene: Scene) {
      const chosen = await model.forScene(scene, flags.bands ? parseBands(flags.bands, scene.info) : undefined);
      if (chosen.rejectedIndex) {
        ctx.stderr.write(`warning: ${scene.info.source}: no water index used: ${chosen.rejectedIndex}; pass --band-roles to use one\n`);
      } else if (chosen.calibration?.rolesGuessed) {
        ctx.stderr.write(`warning: ${scene.info.source}: band roles guessed from the band count (${formatBandRoles(chosen.roles.roles)}); pass --band-roles if they are wrong\n`);
      }
      return chosen;
    },
  };
}

function parseIndexName(text: string): WaterIndexName {
  if (text in WATER_INDICES) return text as WaterIndexName;
  throw new InputError('bad_option', `--index "${text}" is not a water index`, { hint: `use one of ${Object.keys(WATER_INDICES).join(', ')}` });
}

/** `mndwi on bands 2,5 (green=2,swir1=5), threshold 0.0123 (valley-otsu), fused with waterline-unet` — for summaries. */
export function describeCalibration(c: SpectralCalibration, learnedModel?: string): string {
  const t = c.threshold;
  const how = t.unimodal ? `${t.method}, one mode: ${(t.waterFraction * 100).toFixed(0)} % water` : t.method;
  return `${c.index.name} on bands ${c.bands.join(',')} (${formatBandRoles(c.roles)}${c.rolesGuessed ? ', guessed' : ''}), threshold ${t.threshold.toFixed(4)} (${how})${learnedModel ? `, fused with ${learnedModel}` : ''}`;
}
