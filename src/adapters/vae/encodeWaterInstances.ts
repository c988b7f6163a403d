/**
 * A water mask → PaliGemma segmentation instances (box loc bins + 16 VAE codes) and the suffix text.
 * One instance per connected water region (8-connected), largest first, at most `maxInstances`.
 * Each region is cropped to its tight box (only that region's pixels), resized to 64x64 with the
 * antialiased bilinear filter, encoded, and its box written as loc bins (core/tokens/locBins.ts).
 */
import { cropBoxForEncoding } from '../../core/masks/boxPlacement.ts';
import { findWaterRegions } from '../../core/masks/waterRegions.ts';
import { edgeToBin, type LocBins } from '../../core/tokens/locBins.ts';
import { formatSegmentationSuffix, type SuffixInstance } from '../../core/tokens/segmentationParser.ts';
import { VAE_MASK_SIZE, type SegmentationVae } from './segmentationVae.ts';

export interface EncodeWaterOptions {
  /** Keep the N largest regions (default 10). */
  maxInstances?: number;
  /** Ignore regions smaller than this many pixels (default 1). */
  minArea?: number;
  /** Instance label (default `water`). */
  label?: string;
}

export interface EncodedWater {
  instances: (SuffixInstance & { area: number })[];
  /** `<loc>`x4 `<seg>`x16 label, ` ; `-joined; empty string when there is no water. */
  suffix: string;
  /** Regions found before the max/min filters. */
  regionCount: number;
}

export async function encodeWaterInstances(
  mask: Uint8Array,
  width: number,
  height: number,
  vae: SegmentationVae,
  options: EncodeWaterOptions = {},
): Promise<EncodedWater> {
  const { labels, regions } = findWaterRegions(mask, width, height);
  const kept = regions.filter((r) => r.area >= (options.minArea ?? 1)).slice(0, options.maxInstances ?? 10);
  const crops = kept.map((r) => cropBoxForEncoding(labels, r.label, width, r.box, VAE_MASK_SIZE));
  const { codes } = await vae.encode(crops);
  const label = options.label ?? 'water';
  const instances = kept.map((r, k) => ({
    bins: [edgeToBin(r.box.y0, height), edgeToBin(r.box.x0, width), edgeToBin(r.box.y1, height), edgeToBin(r.box.x1, width)] as LocBins,
    codes: codes[k],
    label,
    area: r.area,
  }));
  return { instances, suffix: formatSegmentationSuffix(instances), regionCount: regions.length };
}
