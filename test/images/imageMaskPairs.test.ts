/** eval's and prepare's one pairing of image and mask files by stem. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findImageMaskPairs } from '../../src/adapters/files/imageMaskPairs.ts';
import { InputError } from '../../src/core/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'waterline-pairs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(name: string, files: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f), '');
  return dir;
}

describe('findImageMaskPairs', () => {
  it('pairs by stem across extensions (any case), sorted by stem, first file by name where stems repeat; counts images without a mask; ignores other files', () => {
    const images = dirWith('a-images', ['b.JPG', 'a.png', 'c.webp', 'd.tif', 'a.jpg', 'notes.txt', 'e.jpeg']);
    const masks = dirWith('a-masks', ['a.png', 'b.png', 'd.TIFF', 'x.png', 'c.txt', 'e.PNG', 'e.jpg']);
    const { pairs, unmatched } = findImageMaskPairs(images, masks);
    expect(pairs).toEqual([
      { stem: 'a', image: join(images, 'a.jpg'), mask: join(masks, 'a.png') },
      { stem: 'b', image: join(images, 'b.JPG'), mask: join(masks, 'b.png') },
      { stem: 'd', image: join(images, 'd.tif'), mask: join(masks, 'd.TIFF') },
      { stem: 'e', image: join(images, 'e.jpeg'), mask: join(masks, 'e.PNG') },
    ]);
    expect(unmatched).toBe(1); // c: its "mask" is a .txt
  });

  it('refuses a missing directory and a pair of directories with no pair, naming them and what to do', () => {
    const images = dirWith('b-images', ['a.png']);
    const masks = dirWith('b-masks', ['b.png']);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as InputError;
      }
      throw new Error('no error');
    };
    const missing = err(() => findImageMaskPairs(join(root, 'nope'), masks));
    expect(missing).toBeInstanceOf(InputError);
    expect(missing.message).toMatch(/images directory not found/);
    expect(err(() => findImageMaskPairs(images, join(images, 'a.png'))).message).toMatch(/masks directory not found or not a directory/);
    const none = err(() => findImageMaskPairs(images, masks));
    expect(none.code).toBe('no_pairs');
    expect(none.hint).toMatch(/images\/a.jpg ↔ masks\/a.png/);
  });
});
