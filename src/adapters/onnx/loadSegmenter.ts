/**
 * One entry point for every model: `--model` is a PaliGemma export directory, a name from the models
 * cache (`waterline models list`), `waterline-unet` (the default built-in U-Net, also the default when no
 * model is configured) or a versioned built-in U-Net (`waterline-unet-v1`).
 */
import { BUILTIN_MODEL_NAMES, DEFAULT_MODEL_NAME, UNET_MODEL_NAME, retiredUnet, retiredUnetMessage } from '../../core/model/modelNames.ts';
import { existsSync } from 'node:fs';
import type { Logger } from '../../logger.ts';
import type { Segmenter } from '../../core/model/segmenter.ts';
import { InputError, ModelError, NotFoundError } from '../../core/errors.ts';
import { findCachedModel } from '../hub/modelsCache.ts';
import { defaultVaePath } from '../vae/vaeCheckpoint.ts';
import { loadSegmentationVae } from '../vae/segmentationVae.ts';
import { decodeInstancesToTileProbability } from '../vae/decodeInstanceMasks.ts';
import { providerFallback, type Device } from './onnxSession.ts';
import { loadUnetSegmenter } from './unetSegmenter.ts';
import { builtinUnet } from './builtinUnets.ts';
import { isPaliGemmaDir, type Dtype } from './paligemmaModelDir.ts';
import { loadPaliGemmaSegmenter, type PaliGemmaSegmenterOptions } from './paligemmaSegmenter.ts';


export interface LoadSegmenterOptions {
  /** Model name (cache) or directory; default: the U-Net. */
  model?: string;
  device?: Device;
  dtype?: Dtype;
  /** vae-oid.npz for PaliGemma masks; default `<modelsDir>/vae/vae-oid.npz`. */
  vaePath?: string;
  modelsDir: string;
  logger?: Logger;
  intraOpNumThreads?: number;
  /** PaliGemma decoding settings (grammar, maxInstances, ...). */
  paligemma?: Omit<PaliGemmaSegmenterOptions, 'device' | 'dtype' | 'logger' | 'decodeInstances' | 'intraOpNumThreads'>;
}

/** Resolve `model` to a PaliGemma directory or a U-Net (a built-in one: its name and directory). */
export function resolveModel(model: string | undefined, modelsDir: string): { kind: 'unet'; path?: string; name?: string } | { kind: 'paligemma'; dir: string } {
  const name = !model || model === DEFAULT_MODEL_NAME ? UNET_MODEL_NAME : model;
  const builtin = builtinUnet(name);
  if (builtin) return { kind: 'unet', path: builtin.dir, name };
  const retired = retiredUnet(name);
  if (retired && !existsSync(name)) {
    const { message, hint } = retiredUnetMessage(name, retired);
    throw new InputError('model_retired', message, { hint });
  }
  if (existsSync(name)) {
    if (isPaliGemmaDir(name)) return { kind: 'paligemma', dir: name };
    if (existsSync(`${name}/manifest.json`) || name.endsWith('.onnx')) return { kind: 'unet', path: name };
    throw new ModelError('model_unknown_layout', `${name} is neither a PaliGemma export (config.json with model_type "paligemma" and onnx/) nor a U-Net (manifest.json)`, { hint: 'point --model at a model directory or use a name from `waterline models list`' });
  }
  const cached = findCachedModel(modelsDir, name);
  if (cached && isPaliGemmaDir(cached)) return { kind: 'paligemma', dir: cached };
  if (/^[./~]|\/.*\/|\.onnx$/.test(name)) {
    throw new NotFoundError('model_not_found', `model "${name}" is not a directory (no such path)`, { hint: `check the path, or use a built-in model: ${BUILTIN_MODEL_NAMES.join(', ')}` });
  }
  throw new NotFoundError('model_not_found', `model "${name}" is not a built-in model, a directory or a name in the models cache ${modelsDir}`, {
    hint: `built-in: ${BUILTIN_MODEL_NAMES.join(', ')}; for PaliGemma run \`waterline models pull ${name.includes('/') ? name : '<owner>/<repo>'}\` (\`waterline models list\` shows the cache)`,
  });
}

/**
 * Load a model and log one structured line saying where it runs:
 * `{ model, kind, provider, deviceRequested, fallback? }` (`fallback` only when the provider in use is not
 * the one the request should give, e.g. `auto` with CUDA installed that ended on CPU).
 */
export async function loadSegmenter(options: LoadSegmenterOptions): Promise<Segmenter> {
  const segmenter = await loadAnySegmenter(options);
  const requested = options.device ?? 'auto';
  const { name, kind, provider } = segmenter.info;
  const fallback = providerFallback(requested, provider);
  options.logger?.info({
    model: name,
    kind,
    provider,
    deviceRequested: requested,
    ...(fallback ? { fallback } : {}),
  }, `model ${name} (${kind}) running on ${provider}`);
  return segmenter;
}

async function loadAnySegmenter(options: LoadSegmenterOptions): Promise<Segmenter> {
  const resolved = resolveModel(options.model, options.modelsDir);
  if (resolved.kind === 'unet') {
    return loadUnetSegmenter({ device: options.device, modelPath: resolved.path, name: resolved.name, logger: options.logger, intraOpNumThreads: options.intraOpNumThreads });
  }
  const vaePath = options.vaePath ?? defaultVaePath(options.modelsDir);
  if (!existsSync(vaePath)) {
    throw new ModelError('vae_missing', `the segmentation VAE ${vaePath} is missing (PaliGemma masks are decoded with it)`, { hint: 'run `waterline models pull vae` or pass --vae <vae-oid.npz>' });
  }
  const vae = await loadSegmentationVae(vaePath, { device: options.device === 'auto' ? 'cpu' : options.device, intraOpNumThreads: options.intraOpNumThreads, onWarning: (m: string) => options.logger?.warn(m) });
  const segmenter = await loadPaliGemmaSegmenter(resolved.dir, {
    ...options.paligemma,
    device: options.device,
    dtype: options.dtype,
    logger: options.logger,
    intraOpNumThreads: options.intraOpNumThreads,
    decodeInstances: (instances, size) => decodeInstancesToTileProbability(instances, size, vae),
  });
  const dispose = segmenter.dispose.bind(segmenter);
  return Object.assign(segmenter, {
    async dispose() {
      await dispose();
      await vae.dispose();
    },
  });
}
