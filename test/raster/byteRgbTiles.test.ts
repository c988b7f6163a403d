import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { modelTileFromWindow } from '../../src/core/grid/bandStretch.ts';
import { createTileSource } from '../../src/pipeline/tileSource.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';

/**
 * Model tiles of 8-bit pixel-interleaved scenes are written straight from the decoded blocks (Scene.readByteRgb);
 * every tile must equal modelTileFromWindow over readWindow, the general path, for the scene's validity rules
 * (nodata of all bands, alpha, internal mask) and band choices (RGB, reordered, repeated, grey).
 */
const dir = mkdtempSync(join(tmpdir(), 'waterline-byte-rgb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** gdal_translate a shared scene into the temporary folder; null when GDAL is not installed. */
function translated(name: string, args: string[], from: string): string | null {
  const out = join(dir, name);
  try {
    execFileSync('gdal_translate', ['-q', ...args, scenePath(from), out], { stdio: 'ignore' });
    return out;
  } catch {
    return null;
  }
}

async function expectSameTiles(file: string, bandChoices: (number[] | undefined)[], direct: boolean): Promise<void> {
  const scene = await openScene(file);
  try {
    for (const bands of bandChoices) {
      const source = await createTileSource(scene, { bands, tileSize: 96, overlap: 16 });
      const probe = new Uint8Array(96 * 96);
      const reads = scene.readByteRgb?.(source.grid.tiles[0].window, { bands: source.bands, tables: source.bands.map(() => new Uint8Array(256)), rgb: new Uint8Array(3 * probe.length), valid: probe, rowStride: 96 });
      expect(reads != null).toBe(direct);
      await reads;
      let valid = 0;
      for (const tile of source.grid.tiles) {
        const got = await source.readTile(tile);
        const raster = await scene.readWindow(tile.window, { bands: source.bands });
        const want = raster.valid.indexOf(1) === -1 ? null : modelTileFromWindow(tile.id, raster, source.stretch, 96);
        expect(got === null).toBe(want === null);
        if (!got || !want) continue;
        valid++;
        expect(Buffer.from(got.valid).equals(Buffer.from(want.valid))).toBe(true);
        expect(Buffer.from(got.rgb).equals(Buffer.from(want.rgb))).toBe(true);
      }
      expect(valid).toBeGreaterThan(0);
    }
  } finally {
    await scene.close();
  }
}

describeShared('model tiles straight from 8-bit pixel-interleaved blocks', () => {
  it('equal the general path: YCbCr JPEG COG with an internal mask', async () => {
    await expectSameTiles(scenePath('aerial-korea-nowater-3857-cog.tif'), [undefined, [3, 2, 1], [2, 2, 1], [1]], true);
  });

  it('equal the general path: 4-band DEFLATE COG with nodata 0 on every band, grey pan scene with a collar', async () => {
    await expectSameTiles(scenePath('naip-dakota-2009-rgbn-cog.tif'), [undefined, [4, 1, 2], [3]], true);
    await expectSameTiles(scenePath('atlanta-pan-stateplane-collar.tif'), [undefined], true);
  });

  it('equal the general path: internal mask with masked pixels, alpha band, nodata 40 on every band, and a band-interleaved copy (general path)', async (t) => {
    // The mask is 0 where band 1 is 0 (the scene's collar), and there is no nodata value.
    const masked = translated('masked.tif', ['--config', 'GDAL_TIFF_INTERNAL_MASK', 'YES', '-b', '1', '-b', '2', '-b', '3', '-a_nodata', 'none', '-mask', '1', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE'], 'landsat7-bahamas-rgb-utm18.tif');
    // Band 4 = band 1 as alpha: pixels whose band 1 is 0 are transparent.
    const alpha = translated('alpha.tif', ['-b', '1', '-b', '2', '-b', '3', '-b', '1', '-colorinterp_4', 'alpha', '-co', 'TILED=YES', '-co', 'BLOCKXSIZE=64', '-co', 'BLOCKYSIZE=64', '-co', 'COMPRESS=LZW'], 'landsat7-bahamas-rgb-utm18.tif');
    const nodata = translated('nodata.tif', ['-a_nodata', '40', '-co', 'COMPRESS=DEFLATE'], 'landsat7-bahamas-rgb-utm18.tif');
    const banded = translated('banded.tif', ['-co', 'INTERLEAVE=BAND', '-co', 'TILED=YES'], 'landsat7-bahamas-rgb-utm18.tif');
    if (!masked || !alpha || !nodata || !banded) return t.skip('gdal_translate not available');
    const maskedScene = await openScene(masked);
    expect(maskedScene.info.hasMask).toBe(true);
    await maskedScene.close();
    await expectSameTiles(masked, [undefined, [1]], true);
    await expectSameTiles(alpha, [undefined, [3, 2, 1]], true);
    await expectSameTiles(nodata, [undefined, [2], [1, 1, 3]], true);
    await expectSameTiles(banded, [undefined], false);
  });
});
