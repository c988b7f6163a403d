/** The pixel size of an image file (any format sharp reads), from its header: the pixels are not decoded. */
import sharp from 'sharp';

export interface ImageSize {
  width: number;
  height: number;
}

/** Width and height as stored (EXIF orientation not applied); sharp's error as is for an unreadable file. */
export async function readImageFileSize(path: string): Promise<ImageSize> {
  const { width, height } = await sharp(path).metadata();
  return { width, height };
}
