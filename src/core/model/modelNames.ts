/**
 * The names of the models built into Waterline: what `--model` accepts without a directory, and the only
 * model names (besides those in the models cache) an HTTP request or the QGIS plugin may ask for.
 * `auto` means the server's (or CLI's) default model.
 */
export const BUILTIN_MODEL_NAMES = [
  'auto', 'waterline-unet', 'waterline-unet-v1', 'waterline-unet5', 'waterline-unet8', 'waterline-unet9', 'waterline-unet9-int8',
  'waterline-unet11', 'waterline-spectral',
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
export const VERSIONED_UNET_NAMES = ['waterline-unet-v1', 'waterline-unet5', 'waterline-unet8', 'waterline-unet9', 'waterline-unet9-int8',
  'waterline-unet11'] as const;
export type VersionedUnetName = (typeof VERSIONED_UNET_NAMES)[number];
/** What `waterline-unet` (and `auto` on RGB-only scenes) runs. */
export const DEFAULT_UNET_VERSION: VersionedUnetName = 'waterline-unet11';

/** The versioned U-Net a built-in name runs, or undefined for a name that is not a built-in U-Net. */
export function builtinUnetVersion(name: string): VersionedUnetName | undefined {
  if (name === UNET_MODEL_NAME) return DEFAULT_UNET_VERSION;
  return (VERSIONED_UNET_NAMES as readonly string[]).includes(name) ? name as VersionedUnetName : undefined;
}

/**
 * Built-in U-Nets no longer shipped (round 2, session 8: intermediate versions, each surpassed by a version kept;
 * their weights made the checkout too large to travel to a GPU machine). A request for one gets an error naming
 * what to use instead; the weights stay in the repository's history, at `weightsCommit`, under `models/<dir>`.
 */
export interface RetiredUnet {
  /** The kept version that does its job now. */
  successor: VersionedUnetName;
  /** Why that one (one line, for the error message). */
  why: string;
  /** The folder under models/ that held it, and a commit that still has its weights there. */
  dir: string;
  weightsCommit: string;
}

const WEIGHTS_COMMIT = '30b82d4b5a7659ebb4e71e99506955fc12a7f848';
export const RETIRED_UNETS: Readonly<Record<string, RetiredUnet>> = {
  'waterline-unet2': { successor: 'waterline-unet8', why: 'same network, later training', dir: 'unet2', weightsCommit: WEIGHTS_COMMIT },
  'waterline-unet3': { successor: 'waterline-unet8', why: 'same network and recipe, later training', dir: 'unet3', weightsCommit: WEIGHTS_COMMIT },
  'waterline-unet4': { successor: 'waterline-unet8', why: 'same network and recipe, later training', dir: 'unet4', weightsCommit: WEIGHTS_COMMIT },
  'waterline-unet6': { successor: 'waterline-unet9', why: 'v1 and a later member averaged, as unet6 was', dir: 'unet6', weightsCommit: WEIGHTS_COMMIT },
  'waterline-unet7': { successor: 'waterline-unet8', why: 'unet7 fine-tuned to regain open sea', dir: 'unet7', weightsCommit: WEIGHTS_COMMIT },
};

/** The retirement record of a built-in U-Net name that is no longer shipped, or undefined. */
export function retiredUnet(name: string): RetiredUnet | undefined {
  return Object.hasOwn(RETIRED_UNETS, name) ? RETIRED_UNETS[name] : undefined;
}

/** What a request for a retired name is told: what to use instead, and how to get the old weights back. */
export function retiredUnetMessage(name: string, retired: RetiredUnet): { message: string; hint: string } {
  return {
    message: `model "${name}" was retired in round 2 (no longer shipped); ${retired.successor} replaces it (${retired.why})`,
    // extracted beside the checkout, not checked out into it: nothing in the working tree or the index changes
    hint: `use ${retired.successor}, or waterline-unet for the default; to rerun an old job with the old weights, extract them from the `
      + `repository's history (mkdir -p old && git archive ${retired.weightsCommit.slice(0, 12)} models/${retired.dir} | tar -x -C old) `
      + `and pass old/models/${retired.dir} as the model`,
  };
}

/**
 * The tile size every built-in model reads: the U-Nets' manifests (`input.size`; test/unet checks each) and the
 * water index. A request naming a built-in model can be checked against it before any model is loaded.
 */
export const BUILTIN_MODEL_TILE_SIZE = 224;

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
