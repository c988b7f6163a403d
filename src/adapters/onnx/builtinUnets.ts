/**
 * Where the built-in U-Nets live: each versioned name (src/core/model/modelNames.ts) is a model directory committed
 * in the repository (manifest.json + .onnx); `waterline-unet` runs DEFAULT_UNET_VERSION.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_UNET_VERSION, builtinUnetVersion, type VersionedUnetName } from '../../core/model/modelNames.ts';

const modelsRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');

const BUILTIN_UNETS: Record<VersionedUnetName, { dir: string; description: string }> = {
  'waterline-unet-v1': { dir: resolve(modelsRoot, 'unet'), description: 'U-Net, 482 k parameters (round 1; models/unet/MODEL_CARD.md)' },
  'waterline-unet5': { dir: resolve(modelsRoot, 'unet5'), description: 'MobileNetV2-style U-Net, 1.5 M parameters, trained on the pipeline\'s padded edge tiles too: the most aerial open sea, more snow-water (models/unet5/MODEL_CARD.md)' },
  'waterline-unet8': { dir: resolve(modelsRoot, 'unet8'), description: 'MobileNetV2-style U-Net, 1.5 M parameters, trained on lone-scene tiles (a scene of only sea or only land) too: open sea with little snow-water; a member of waterline-unet9 (models/unet8/MODEL_CARD.md)' },
  'waterline-unet9': { dir: resolve(modelsRoot, 'unet9'), description: 'v1 and unet8 averaged (an ensemble manifest naming both; as the retired unet6 averaged v1 and unet5): the default in round 2 sessions 7–11; more Landsat-class sea and rivers than the default, about 3x its time per tile (models/unet9/MODEL_CARD.md)' },
  'waterline-unet9-int8': { dir: resolve(modelsRoot, 'unet9-int8'), description: 'waterline-unet9 with both members quantized to int8 (nothing retrained): 1.6x less CPU per tile, validation and tile figures within 0.006, a little more water on snow (models/unet9-int8/MODEL_CARD.md)' },
  'waterline-unet11': { dir: resolve(modelsRoot, 'unet11'), description: 'MobileNetV2-style U-Net, 1.5 M parameters, distilled from waterline-unet9 and trained for steadiness across tile borders, run at its declared overlap 64: the least snow-water, 0.6x unet9\'s time per scene; the default since round 2 session 12 (models/unet11/MODEL_CARD.md)' },
};

/** The committed directory of a built-in U-Net version. */
export function builtinUnetDir(version: VersionedUnetName): string {
  return BUILTIN_UNETS[version].dir;
}

/** What `waterline-unet` runs, and what loadUnetSegmenter loads without a model path. */
export const defaultUnetDir = builtinUnetDir(DEFAULT_UNET_VERSION);

/** The directory and description of a built-in U-Net name, or undefined for any other name. */
export function builtinUnet(name: string): { version: VersionedUnetName; dir: string; description: string } | undefined {
  const version = builtinUnetVersion(name);
  return version === undefined ? undefined : { version, ...BUILTIN_UNETS[version] };
}

/** Every built-in U-Net, for `waterline models list`. */
export function builtinUnetList(): { name: VersionedUnetName; description: string }[] {
  return Object.entries(BUILTIN_UNETS).map(([name, m]) => ({ name: name as VersionedUnetName, description: m.description }));
}
