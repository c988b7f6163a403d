/**
 * Placing decoded instance masks into a model tile, and the reverse crop for encoding.
 *
 * Decode side: the 64x64 VAE logits of an instance are resized (Pillow-style bilinear, see
 * bilinearResize.ts) to the box's pixel size and pasted at rows y0..y1-1, columns x0..x1-1 of the
 * tile (the box convention of core/tokens/locBins.ts). Instances are combined by taking the maximum
 * logit per pixel, so
 *   - the hard mask is the union of the instances' masks (logit > threshold, default 0), and
 *   - the soft probability is sigmoid(max logit) = max over instances of their probabilities,
 *     0 outside every box.
 * The two agree: probability > sigmoid(threshold) exactly where the mask is set.
 */
import type { PixelBox } from '../tokens/locBins.ts';
import { resizeBilinear } from './bilinearResize.ts';

export interface PlacedInstance {
  box: PixelBox;
  /** Logits resized to the box, (y1-y0) x (x1-x0), row-major. */
  logits: Float32Array;
}

/** Clip a box to the tile; null when nothing is left. */
export function clipBox(box: PixelBox, tileSize: number): PixelBox | null {
  const y0 = Math.max(0, box.y0), x0 = Math.max(0, box.x0);
  const y1 = Math.min(tileSize, box.y1), x1 = Math.min(tileSize, box.x1);
  return y1 > y0 && x1 > x0 ? { y0, x0, y1, x1 } : null;
}

/** Resize `maskSize` x `maskSize` logits into the box. The box must lie inside the tile. */
export function placeInstanceLogits(logits: Float32Array, maskSize: number, box: PixelBox): PlacedInstance {
  return { box, logits: resizeBilinear(logits, maskSize, maskSize, box.x1 - box.x0, box.y1 - box.y0) };
}

/** Max logit per pixel over the instances; -Infinity where no instance covers the pixel. */
export function maxInstanceLogits(instances: readonly PlacedInstance[], tileSize: number): Float32Array {
  const out = new Float32Array(tileSize * tileSize).fill(-Infinity);
  for (const { box, logits } of instances) {
    const w = box.x1 - box.x0;
    for (let y = box.y0; y < box.y1; y++) {
      for (let x = box.x0; x < box.x1; x++) {
        const v = logits[(y - box.y0) * w + (x - box.x0)];
        const k = y * tileSize + x;
        if (v > out[k]) out[k] = v;
      }
    }
  }
  return out;
}

/** Soft mask: sigmoid of the max logit (0 where no instance covers the pixel). */
export function logitsToProbability(maxLogits: Float32Array): Float32Array {
  const out = new Float32Array(maxLogits.length);
  for (let k = 0; k < maxLogits.length; k++) {
    const v = maxLogits[k];
    out[k] = v === -Infinity ? 0 : 1 / (1 + Math.exp(-v));
  }
  return out;
}

/** Hard mask (0/1): the union of instance masks, logit > threshold. */
export function thresholdLogits(maxLogits: Float32Array, threshold = 0): Uint8Array {
  const out = new Uint8Array(maxLogits.length);
  for (let k = 0; k < maxLogits.length; k++) out[k] = maxLogits[k] > threshold ? 1 : 0;
  return out;
}

/**
 * Encode side: the region's pixels (those with `labels[k] === label`, width x height) inside `box`,
 * resized to `outSize` x `outSize` in [0,1] (antialiased bilinear), ready for the VAE encoder.
 */
export function cropBoxForEncoding(labels: Int32Array, label: number, width: number, box: PixelBox, outSize = 64): Float32Array {
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) crop[y * bw + x] = labels[(box.y0 + y) * width + box.x0 + x] === label ? 1 : 0;
  }
  return resizeBilinear(crop, bw, bh, outSize, outSize);
}
