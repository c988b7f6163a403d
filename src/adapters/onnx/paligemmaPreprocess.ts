/**
 * Model tiles → `pixel_values`: resize to the model's image size with sharp (bicubic, like the
 * SigLIP image processor), split into planes with sharp's channel extraction (HWC → CHW), widen each
 * 8-bit plane to Float32 with one typed-array copy and apply the preprocessor's rescale/mean/std as a
 * single affine pass. (sharp's `linear` keeps 8-bit output for 8-bit input, so it cannot give the
 * negative normalised values itself.)
 */
import sharp from 'sharp';
import type { ModelTile } from '../../core/model/segmenter.ts';
import { InputError } from '../../core/errors.ts';

export interface PixelNormalisation {
  imageSize: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Multiplier from 8-bit values to [0,1] (1/255). */
  rescaleFactor: number;
}

/** One tile as a [3, size, size] Float32 plane stack. */
export async function tileToPixelValues(tile: ModelTile, norm: PixelNormalisation): Promise<Float32Array> {
  if (tile.rgb.length !== tile.size * tile.size * 3) {
    throw new InputError('bad_tile', `tile ${tile.id}: expected ${tile.size * tile.size * 3} RGB bytes for ${tile.size}x${tile.size}, got ${tile.rgb.length}`);
  }
  const n = norm.imageSize;
  let image = sharp(tile.rgb, { raw: { width: tile.size, height: tile.size, channels: 3 } });
  if (tile.size !== n) image = image.resize(n, n, { kernel: 'cubic', fit: 'fill' });
  const a = norm.std.map((s) => norm.rescaleFactor / s);
  const b = norm.mean.map((m, i) => -m / norm.std[i]);
  // Materialise the resized 8-bit image first (the model sees 8-bit pixels, as PIL would give it).
  const resized = tile.size === n ? tile.rgb : await image.raw().toBuffer();
  const out = new Float32Array(3 * n * n);
  await Promise.all(([0, 1, 2] as const).map(async (c) => {
    const plane = await sharp(resized, { raw: { width: n, height: n, channels: 3 } }).extractChannel(c).raw().toBuffer();
    const view = out.subarray(c * n * n, (c + 1) * n * n);
    view.set(plane);
    const scale = a[c];
    const shift = b[c];
    for (let i = 0; i < view.length; i++) view[i] = view[i] * scale + shift;
  }));
  return out;
}

/** A batch of tiles as one [B, 3, size, size] Float32 array. */
export async function tilesToPixelValues(tiles: readonly ModelTile[], norm: PixelNormalisation): Promise<Float32Array> {
  const per = 3 * norm.imageSize * norm.imageSize;
  const out = new Float32Array(tiles.length * per);
  const planes = await Promise.all(tiles.map((t) => tileToPixelValues(t, norm)));
  planes.forEach((p, i) => out.set(p, i * per));
  return out;
}
