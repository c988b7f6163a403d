/**
 * Connected water regions of a binary mask (8-connected: pixels touching by a corner belong to the same
 * region, so a one-pixel-wide diagonal river stays one instance). Used to split a mask into PaliGemma
 * instances for fine-tuning data.
 */
import type { PixelBox } from '../tokens/locBins.ts';
import { labelComponents } from './connectedComponents.ts';

export interface WaterRegion {
  /** Label in `labels` (1-based). */
  label: number;
  area: number;
  /** Tight box, end-exclusive. */
  box: PixelBox;
}

export interface WaterRegions {
  /** width*height, 0 for dry pixels, else the region label. */
  labels: Int32Array;
  /** Largest first (ties: first found in row-major order first). */
  regions: WaterRegion[];
}

export function findWaterRegions(mask: ArrayLike<number>, width: number, height: number): WaterRegions {
  // labels are numbered in row-major order of each region's first pixel
  const { labels, count } = labelComponents(mask, width, height, 8);
  const regions: WaterRegion[] = [];
  for (let label = 1; label <= count; label++) regions.push({ label, area: 0, box: { y0: height, x0: width, y1: 0, x1: 0 } });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const label = labels[y * width + x];
      if (!label) continue;
      const region = regions[label - 1];
      region.area++;
      const b = region.box;
      if (y < b.y0) b.y0 = y;
      if (y + 1 > b.y1) b.y1 = y + 1;
      if (x < b.x0) b.x0 = x;
      if (x + 1 > b.x1) b.x1 = x + 1;
    }
  }
  regions.sort((a, b) => b.area - a.area || a.label - b.label);
  return { labels, regions };
}
