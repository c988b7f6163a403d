/**
 * Image/mask pairs of two directories, matched by file stem (`images/a.jpg` ↔ `masks/a.png`): what `waterline eval
 * --images --masks` scores and `waterline prepare --images --masks` turns into training examples. Image files are
 * .jpg .jpeg .png .tif .tiff .webp (any case); where two files of a directory share a stem, the first by name wins.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InputError } from '../../core/errors.ts';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp']);

export interface ImageMaskPair {
  /** The file stem both share. */
  stem: string;
  image: string;
  mask: string;
}

/** The image files of a directory by stem (`what`: the option that named it, for the error). */
function listImages(dir: string, what: 'images' | 'masks'): Map<string, string> {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(dir);
  } catch {
    throw new InputError('bad_directory', `${what} directory not found or not a directory: ${dir}`, { hint: `pass --${what} DIR with image files` });
  }
  const out = new Map<string, string>();
  for (const name of entries.sort()) {
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    const stem = basename(name, extname(name));
    if (!out.has(stem)) out.set(stem, join(dir, name));
  }
  return out;
}

/** Pairs sorted by stem; `unmatched` counts images without a mask. No pair at all is an InputError. */
export function findImageMaskPairs(imagesDir: string, masksDir: string): { pairs: ImageMaskPair[]; unmatched: number } {
  const images = listImages(imagesDir, 'images');
  const masks = listImages(masksDir, 'masks');
  const pairs: ImageMaskPair[] = [];
  let unmatched = 0;
  for (const [stem, image] of images) {
    const mask = masks.get(stem);
    if (mask) pairs.push({ stem, image, mask });
    else unmatched++;
  }
  if (pairs.length === 0) {
    throw new InputError('no_pairs', `no image/mask pairs: none of the ${images.size} images in ${imagesDir} has a mask with the same file stem in ${masksDir}`, {
      hint: 'masks are matched by name without extension, e.g. images/a.jpg ↔ masks/a.png',
    });
  }
  return { pairs, unmatched };
}
