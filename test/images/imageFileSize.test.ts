/** readImageFileSize: the size from the header, or an InputError naming the file when sharp gives none. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readImageFileSize } from '../../src/adapters/images/imageFileSize.ts';
import { InputError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-imagesize-'));
afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('readImageFileSize', () => {
  it('reads width and height of a PNG', async () => {
    const file = join(dir, 'a.png');
    await sharp({ create: { width: 13, height: 7, channels: 3, background: '#336699' } }).png().toFile(file);
    expect(await readImageFileSize(file)).toEqual({ width: 13, height: 7 });
  });

  it('refuses a file whose header gives no size with an InputError naming the file (not its directory)', async () => {
    const file = join(dir, 'sizeless.png');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } }).png().toFile(file);
    // a format sharp opens but cannot size: its metadata has no width and height
    vi.spyOn(sharp.prototype, 'metadata').mockResolvedValueOnce({ format: 'pdf' } as never);
    const failure = readImageFileSize(file);
    await expect(failure).rejects.toBeInstanceOf(InputError);
    await expect(failure).rejects.toMatchObject({ code: 'image_size_unknown' });
    await expect(failure).rejects.toThrow(/sizeless\.png .*format: pdf.*convert it to PNG, JPEG or TIFF/);
    await expect(failure).rejects.not.toThrow(dir);
  });
});
