/**
 * The names of the models built into Waterline: what `--model` accepts without a directory, and the only
 * model names (besides those in the models cache) an HTTP request or the QGIS plugin may ask for.
 * `auto` means the server's (or CLI's) default model.
 */
export const BUILTIN_MODEL_NAMES = ['auto', 'waterline-unet', 'waterline-spectral'] as const;

export type BuiltinModelName = (typeof BUILTIN_MODEL_NAMES)[number];

/** The built-in name that stands for "the configured default model". */
export const DEFAULT_MODEL_NAME: BuiltinModelName = 'auto';

export function isBuiltinModelName(name: string): name is BuiltinModelName {
  return (BUILTIN_MODEL_NAMES as readonly string[]).includes(name);
}
