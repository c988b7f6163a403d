/**
 * Image and mask files (any format sharp reads: JPEG, PNG, TIFF, WebP) stretched to a size x size square with
 * sharp: fit 'fill', so the aspect ratio is not kept, and any alpha channel dropped.
 *
 * - `readStretchedImageTile` / `readStretchedMaskGrey`: bilinear, into pixel arrays — what `waterline eval`
 *   scores (the preparation the U-Net was trained with); the mask is resized exactly like its image.
 * - `writeStretchedImagePng`: bicubic, as a PNG file — the images `waterline prepare` writes for PaliGemma
 *   (bicubic like the SigLIP image processor).
 */
import sharp from 'sharp';
import { InputError } from '../../core/errors.ts';
import type { ModelTile } from '../../core/model/segmenter.ts';

/** An image file as a size x size RGB model tile (stretched, bilinear; every pixel valid). */
export async function readStretchedImageTile(path: string, size: number, id: string): Promise<ModelTile> {
  try {
    const rgb = await sharp(path).removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    return { id, size, rgb: new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.length), valid: new Uint8Array(size * size).fill(1) };
  } catch (err) {
    throw new InputError('bad_image', `cannot read image ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** A mask file as size x size 8-bit grey values (stretched, bilinear; water is >= 128). */
export async function readStretchedMaskGrey(path: string, size: number): Promise<Uint8Array> {
  try {
    const grey = await sharp(path).removeAlpha().greyscale().resize(size, size, { fit: 'fill', kernel: 'linear' }).extractChannel(0).raw().toBuffer();
    return new Uint8Array(grey.buffer, grey.byteOffset, grey.length);
  } catch (err) {
    throw new InputError('bad_mask', `cannot read mask ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The image file `imagePath` as a size x size sRGB PNG at `pngPath` (stretched, bicubic); sharp's error as is. */
export async function writeStretchedImagePng(imagePath: string, pngPath: string, size: number): Promise<void> {
  await sharp(imagePath).removeAlpha().toColourspace('srgb').resize(size, size, { fit: 'fill', kernel: 'cubic' }).png().toFile(pngPath);
}
