/**
 * Connected water regions of a binary mask (8-connected: pixels touching by a corner belong to the same
 * region, so a one-pixel-wide diagonal river stays one instance). Used to split a mask into PaliGemma
 * instances for fine-tuning data.
 */
import type { PixelBox } from '../tokens/locBins.ts';

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
  const labels = new Int32Array(width * height);
  const regions: WaterRegion[] = [];
  const stack: number[] = [];
  for (let start = 0; start < width * height; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = regions.length + 1;
    const region: WaterRegion = { label, area: 0, box: { y0: height, x0: width, y1: 0, x1: 0 } };
    labels[start] = label;
    stack.push(start);
    while (stack.length) {
      const k = stack.pop()!;
      const y = (k / width) | 0;
      const x = k - y * width;
      region.area++;
      const b = region.box;
      if (y < b.y0) b.y0 = y;
      if (y + 1 > b.y1) b.y1 = y + 1;
      if (x < b.x0) b.x0 = x;
      if (x + 1 > b.x1) b.x1 = x + 1;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          const nk = ny * width + nx;
          if (mask[nk] && !labels[nk]) {
            labels[nk] = label;
            stack.push(nk);
          }
        }
      }
    }
    regions.push(region);
  }
  regions.sort((a, b) => b.area - a.area || a.label - b.label);
  return { labels, regions };
}

/** 0/1 mask of one region. */
export function regionMask(labels: Int32Array, label: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let k = 0; k < labels.length; k++) out[k] = labels[k] === label ? 1 : 0;
  return out;
}
