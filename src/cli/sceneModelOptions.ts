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
import type { Segmenter } from '../core/model/segmenter.ts';
import type { SceneInfo } from '../core/scene.ts';
import { parseBands } from '../pipeline/tileSource.ts';
import type { CliContext } from './context.ts';
import { numberOption } from './numberOption.ts';

export interface SceneModelFlags {
  model?: string;
  prompt: string;
  device?: string;
  batch: string;
  overlap: string;
  bands?: string;
  vae?: string;
}

/** Register the model/tiling flags `segment` has. */
export function addSceneModelOptions(command: Command): Command {
  return command
    .option('--model <dir|name>', 'PaliGemma export directory, cached model name, or waterline-unet (default: WATERLINE_MODEL or waterline-unet)')
    .option('--prompt <text>', 'prompt for PaliGemma models', 'segment water')
    .option('--device <device>', 'auto | cpu | cuda | webgpu (default: WATERLINE_DEVICE or auto)')
    .option('--batch <n>', 'tiles per model call', '4')
    .option('--overlap <px>', 'overlap between neighbouring tiles, blended', '32')
    .option('--bands <list>', '1-based bands as R,G,B (e.g. 3,2,1) or one grey band')
    .option('--vae <file>', 'segmentation VAE (vae-oid.npz) for PaliGemma models (default: <models dir>/vae/vae-oid.npz)');
}

export interface SceneModel {
  segmenter: Segmenter;
  /** Options for blendSceneProbability / segmentScene shared by every scene. */
  options: { prompt: string; batch: number; overlap: number };
  /** The bands of one scene (`--bands` checked against it), undefined for the tile source's default. */
  bandsFor(info: SceneInfo): number[] | undefined;
}

/** Parse the flags, check them against `scene` and load the model for it. The caller disposes the segmenter. */
export async function loadSceneModel(scene: Scene, flags: SceneModelFlags, ctx: CliContext): Promise<SceneModel> {
  const batch = numberOption('batch', flags.batch, { integer: true, min: 1, max: 1024 });
  const overlap = numberOption('overlap', flags.overlap, { integer: true, min: 0 });
  const device = parseDevice(flags.device ?? ctx.env.device);
  const bandsFor = (info: SceneInfo) => (flags.bands ? parseBands(flags.bands, info) : undefined);
  bandsFor(scene.info);
  const segmenter = await loadSegmenter({ model: flags.model ?? ctx.env.model, device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logger: ctx.logger });
  return { segmenter, options: { prompt: flags.prompt, batch, overlap }, bandsFor };
}
