/** The pixel size of an image file (any format sharp reads), from its header: the pixels are not decoded. */
import { basename } from 'node:path';
import sharp from 'sharp';
import { InputError } from '../../core/errors.ts';

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Width and height as stored (EXIF orientation not applied); sharp's error as is for an unreadable file, an
 * InputError (`image_size_unknown`, naming the file) for one whose header gives no size.
 */
export async function readImageFileSize(path: string): Promise<ImageSize> {
  const { width, height, format } = await sharp(path).metadata();
  const isSize = (n: unknown): n is number => Number.isInteger(n) && (n as number) > 0;
  if (!isSize(width) || !isSize(height)) {
    throw new InputError(
      'image_size_unknown',
      `cannot tell the pixel size of ${basename(path)} from its header (format: ${format ?? 'unknown'}); convert it to PNG, JPEG or TIFF first`,
    );
  }
  return { width, height };
}
