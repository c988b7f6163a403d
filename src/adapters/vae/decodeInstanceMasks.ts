/**
 * Parsed PaliGemma instances → tile masks, through the VAE decoder (batched: one decoder run per tile).
 * Detection-only instances (no codes) draw nothing; the parser has already reported them as defects.
 */
import { clipBox, logitsToProbability, maxInstanceLogits, placeInstanceLogits, thresholdLogits } from '../../core/masks/boxPlacement.ts';
import type { SegmentationInstance } from '../../core/tokens/segmentationParser.ts';
import { VAE_MASK_SIZE, type SegmentationVae } from './segmentationVae.ts';

export interface TileMasks {
  /** tileSize², sigmoid of the max instance logit, 0 outside every box. */
  probability: Float32Array;
  /** tileSize², 0/1: union of instance masks (logit > threshold). */
  mask: Uint8Array;
  /** How many instances drew a mask. */
  drawn: number;
}

export interface DecodeInstancesOptions {
  /** Logit threshold for the hard mask (default 0, i.e. probability 0.5). */
  threshold?: number;
}

export async function decodeInstancesToTileMasks(
  instances: readonly SegmentationInstance[],
  tileSize: number,
  vae: SegmentationVae,
  options: DecodeInstancesOptions = {},
): Promise<TileMasks> {
  const drawable = instances.flatMap((inst) => {
    const box = clipBox(inst.box, tileSize);
    return inst.codes && box ? [{ codes: inst.codes, box }] : [];
  });
  const logits = await vae.decode(drawable.map((d) => d.codes));
  const placed = drawable.map((d, k) => placeInstanceLogits(logits[k], VAE_MASK_SIZE, d.box));
  const maxLogits = maxInstanceLogits(placed, tileSize);
  return {
    probability: logitsToProbability(maxLogits),
    mask: thresholdLogits(maxLogits, options.threshold ?? 0),
    drawn: drawable.length,
  };
}

/** The soft water probability of a tile (what the PaliGemma segmenter returns for stitching). */
export async function decodeInstancesToTileProbability(
  instances: readonly SegmentationInstance[],
  tileSize: number,
  vae: SegmentationVae,
): Promise<Float32Array> {
  return (await decodeInstancesToTileMasks(instances, tileSize, vae)).probability;
}
