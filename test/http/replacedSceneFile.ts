/** A small scene file and its replacement in place, for the tests of a scene file replaced while served. */
import { renameSync, writeFileSync } from 'node:fs';
import { syntheticTiff } from '../raster/syntheticTiff.ts';

const SIZE = 64;

/** A 64 × 64 one-band GeoTIFF; `inverted` turns every pixel v into 255 - v (same histogram, other pixels). */
export function sceneBytes(inverted: boolean): Buffer {
  const buf = syntheticTiff({ width: SIZE, height: SIZE });
  if (inverted) for (let i = buf.length - SIZE * SIZE; i < buf.length; i++) buf[i] = 255 - buf[i];
  return buf;
}

/** Replace `file` the way tools do: write a sibling, rename it over (new inode, same path). */
export function replaceSceneFile(file: string, inverted: boolean): void {
  writeFileSync(`${file}.tmp`, sceneBytes(inverted));
  renameSync(`${file}.tmp`, file);
}
