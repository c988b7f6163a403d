/** Raw 8-bit interleaved pixels (grey, grey+alpha, RGB or RGBA) written as a PNG file with sharp. */
import sharp from 'sharp';

export interface PixelLayout {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** `pixels` (width*height*channels bytes, row-major) as the PNG file `path`. */
export async function writePixelsPng(path: string, pixels: Uint8Array, layout: PixelLayout): Promise<void> {
  await sharp(pixels, { raw: layout }).png().toFile(path);
}
