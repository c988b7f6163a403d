/**
 * Mask images on disk (sharp): any format sharp reads → 0/1 mask (grey value ≥ 128 is water, which
 * also absorbs JPEG noise in masks such as the water-bodies set), and 0/1 masks → 0/255 PNG.
 */
import sharp from 'sharp';
import { InputError } from '../../core/errors.ts';

export interface BinaryMask {
  width: number;
  height: number;
  /** width*height, 1 = water. */
  data: Uint8Array;
}

export async function readMaskImage(path: string, threshold = 128): Promise<BinaryMask> {
  try {
    const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
    const out = new Uint8Array(info.width * info.height);
    for (let k = 0; k < out.length; k++) out[k] = data[k * info.channels] >= threshold ? 1 : 0;
    return { width: info.width, height: info.height, data: out };
  } catch (err) {
    throw new InputError('bad_mask_image', `cannot read mask image ${path}: ${(err as Error).message}`, {
      hint: 'pass a PNG/JPEG/TIFF mask where white (≥128) is water',
      cause: err,
    });
  }
}

export async function writeMaskPng(path: string, mask: Uint8Array, width: number, height: number): Promise<void> {
  const grey = Buffer.alloc(width * height);
  for (let k = 0; k < grey.length; k++) grey[k] = mask[k] ? 255 : 0;
  await sharp(grey, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path);
}
