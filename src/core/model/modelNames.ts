/**
 * The names of the models built into Waterline: what `--model` accepts without a directory, and the only
 * model names (besides those in the models cache) an HTTP request or the QGIS plugin may ask for.
 * `auto` means the server's (or CLI's) default model.
 */
export const BUILTIN_MODEL_NAMES = [
  'auto', 'waterline-unet', 'waterline-unet-v1', 'waterline-unet2', 'waterline-unet3', 'waterline-unet4',
  'waterline-unet5', 'waterline-unet6', 'waterline-unet7', 'waterline-unet8', 'waterline-unet9', 'waterline-spectral',
] as const;

export type BuiltinModelName = (typeof BUILTIN_MODEL_NAMES)[number];

/** The built-in name that stands for "the configured default model". */
export const DEFAULT_MODEL_NAME: BuiltinModelName = 'auto';

/**
 * The built-in U-Nets by versioned name (each always the same weights, for comparisons and reproducible jobs), and
 * `waterline-unet`, which names the current default one. Where each lives on disk is the ONNX adapter's business
 * (src/adapters/onnx/builtinUnets.ts).
 */
export const UNET_MODEL_NAME = 'waterline-unet';
export const VERSIONED_UNET_NAMES = [
  'waterline-unet-v1', 'waterline-unet2', 'waterline-unet3', 'waterline-unet4', 'waterline-unet5', 'waterline-unet6', 'waterline-unet7',
  'waterline-unet8', 'waterline-unet9',
] as const;
export type VersionedUnetName = (typeof VERSIONED_UNET_NAMES)[number];
/** What `waterline-unet` (and `auto` on RGB-only scenes) runs. */
export const DEFAULT_UNET_VERSION: VersionedUnetName = 'waterline-unet9';

/** The versioned U-Net a built-in name runs, or undefined for a name that is not a built-in U-Net. */
export function builtinUnetVersion(name: string): VersionedUnetName | undefined {
  if (name === UNET_MODEL_NAME) return DEFAULT_UNET_VERSION;
  return (VERSIONED_UNET_NAMES as readonly string[]).includes(name) ? name as VersionedUnetName : undefined;
}

/** The water index alone (no learned model). */
export const SPECTRAL_MODEL_NAME: BuiltinModelName = 'waterline-spectral';

/**
 * Whether a name runs on the default learned model: `auto` (fused with the water index where the bands allow) and
 * `waterline-spectral` (which needs no learned model at all, but whose jobs carry the default one) — so a server
 * never loads a second copy of its default model for them.
 */
export function usesDefaultLearnedModel(name: string | null | undefined): name is null | undefined | 'auto' | 'waterline-spectral' {
  return name === null || name === undefined || name === DEFAULT_MODEL_NAME || name === SPECTRAL_MODEL_NAME;
}

export function isBuiltinModelName(name: string): name is BuiltinModelName {
  return (BUILTIN_MODEL_NAMES as readonly string[]).includes(name);
}
