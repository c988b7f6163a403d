/**
 * Which segmenter a model name means on the server: the built-in U-Net by name (the default when no
 * model is configured) or by directory (a manifest.json beside the .onnx), otherwise a PaliGemma export
 * directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Segmenter } from '../core/model/segmenter.ts';
import type { Logger } from '../logger.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { UNET_MODEL_NAME, loadUnetSegmenter } from '../adapters/onnx/unetSegmenter.ts';
import { loadPaliGemmaSegmenter } from '../adapters/onnx/paligemmaSegmenter.ts';
import type { SegmenterLoader } from './segmenterProvider.ts';

export function serverModelLoader(defaultModel: string | undefined, device: string, logger: Logger): SegmenterLoader {
  const dev = parseDevice(device);
  return async (model): Promise<Segmenter> => {
    const name = model ?? defaultModel ?? UNET_MODEL_NAME;
    if (name === UNET_MODEL_NAME) return loadUnetSegmenter({ device: dev, logger });
    if (existsSync(join(name, 'manifest.json')) || name.endsWith('.onnx')) return loadUnetSegmenter({ device: dev, modelPath: name, logger });
    return loadPaliGemmaSegmenter(name, { device: dev, logger });
  };
}
