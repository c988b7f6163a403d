/**
 * Which segmenter a model name means on the server: the same resolution as the CLI (`loadSegmenter`):
 * the built-in U-Net by name (the default when no model is configured) or directory, a PaliGemma export
 * directory or cached name (with the segmentation VAE its masks need).
 */
import { availableParallelism } from 'node:os';
import type { Segmenter } from '../core/model/segmenter.ts';
import type { Logger } from '../logger.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { findCachedModel } from '../adapters/hub/modelsCache.ts';
import { isBuiltinModelName, usesDefaultLearnedModel } from '../core/model/modelNames.ts';
import type { SegmenterLoader } from './segmenterProvider.ts';

export interface ServerModelOptions {
  defaultModel?: string;
  device: string;
  modelsDir: string;
  /** vae-oid.npz for PaliGemma models; default: the models cache. */
  vaePath?: string;
  logger: Logger;
}

/**
 * CPU threads for the server's models: all cores but one, so a running job never leaves the HTTP event
 * loop without a core (with every core in onnxruntime's pool, tile and health requests waited seconds).
 */
export function serverInferenceThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export function serverModelLoader(options: ServerModelOptions): SegmenterLoader {
  const device = parseDevice(options.device);
  return async (model): Promise<Segmenter> =>
    loadSegmenter({
      // `model` is a registered name (src/http/modelRegistry.ts): a built-in, or a cached model loaded from its cache directory.
      // `auto` and `waterline-spectral` jobs carry the default learned model: the pipeline fuses it with the
      // scene's water index (or, for waterline-spectral, uses the index alone) per scene.
      model: learnedModelName(usesDefaultLearnedModel(model) ? options.defaultModel : model, options.modelsDir),
      device,
      modelsDir: options.modelsDir,
      vaePath: options.vaePath,
      logger: options.logger,
      intraOpNumThreads: serverInferenceThreads(),
    });
}

/** The learned model a name stands for: `auto`/`waterline-spectral`/none → the built-in U-Net (undefined). */
function learnedModelName(model: string | undefined, modelsDir: string): string | undefined {
  if (usesDefaultLearnedModel(model)) return undefined;
  return isBuiltinModelName(model) ? model : (findCachedModel(modelsDir, model) ?? model);
}
