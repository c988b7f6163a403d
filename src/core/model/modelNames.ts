/**
 * The names of the models built into Waterline: what `--model` accepts without a directory, and the only
 * model names (besides those in the models cache) an HTTP request or the QGIS plugin may ask for.
 * `auto` means the server's (or CLI's) default model.
 */
export const BUILTIN_MODEL_NAMES = ['auto', 'waterline-unet', 'waterline-spectral'] as const;

export type BuiltinModelName = (typeof BUILTIN_MODEL_NAMES)[number];

/** The built-in name that stands for "the configured default model". */
export const DEFAULT_MODEL_NAME: BuiltinModelName = 'auto';

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
