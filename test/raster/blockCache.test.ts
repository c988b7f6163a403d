import fc from 'fast-check';
import { fromFile } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../src/adapters/raster/blockCache.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { createTileSource } from '../../src/pipeline/tileSource.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';

describe('BlockCache', () => {
  it('never holds more than its budget, whatever the sequence of blocks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 5000 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 200 }), async (max, ops) => {
        const cache = new BlockCache<number>(max);
        for (const [key, size] of ops) {
          const v = await cache.get(String(key), size, async () => key);
          expect(v).toBe(key);
          expect(cache.stats().bytes).toBeLessThanOrEqual(max);
        }
        expect(cache.stats().peakBytes).toBeLessThanOrEqual(max);
      }),
    );
  });

  it('evicts the least recently used block and shares one load between concurrent readers', async () => {
    const cache = new BlockCache<string>(300);
    let loads = 0;
    const load = (v: string) => async () => {
      loads++;
      return v;
    };
    const [a1, a2] = await Promise.all([cache.get('a', 100, load('a')), cache.get('a', 100, load('a'))]);
    expect([a1, a2, loads]).toEqual(['a', 'a', 1]);
    await cache.get('b', 100, load('b'));
    await cache.get('c', 100, load('c'));
    await cache.get('a', 100, load('a')); // refresh a: b is now the least recent
    await cache.get('d', 100, load('d'));
    expect(['a', 'b', 'c', 'd'].map((k) => cache.has(k))).toEqual([true, false, true, true]);
    expect(cache.stats()).toMatchObject({ bytes: 300, entries: 3, hits: 2, misses: 4 });
  });

  it('keeps neither failed loads nor blocks larger than the budget', async () => {
    const cache = new BlockCache<number>(100);
    await expect(cache.get('x', 10, () => Promise.reject(new Error('bad block')))).rejects.toThrow('bad block');
    await Promise.resolve();
    expect(cache.has('x')).toBe(false);
    expect(await cache.get('big', 101, async () => 1)).toBe(1);
    expect(cache.has('big')).toBe(false);
    expect(cache.stats().bytes).toBe(0);
    expect(() => new BlockCache(-1)).toThrow(RangeError);
  });
});

/** Every model tile of a scene (ids, then rgb and valid bytes, null tiles marked), read with a given block cache budget. */
async function allTiles(file: string, blockCacheBytes?: number): Promise<{ ids: string[]; bytes: Buffer }> {
  const scene = await openScene(file, { blockCacheBytes });
  const source = await createTileSource(scene, { overlap: 32 });
  const ids: string[] = [];
  const parts: Buffer[] = [];
  for (const tile of source.grid.tiles) {
    const t = await source.readTile(tile);
    ids.push(t ? tile.id : `${tile.id}:null`);
    if (t) parts.push(Buffer.from(t.rgb), Buffer.from(t.valid));
  }
  await scene.close();
  return { ids, bytes: Buffer.concat(parts) };
}

describeShared('block-cached scene reads', () => {
  // Pixel-interleaved DEFLATE COG, YCbCr JPEG COG with an internal 1-bit mask, and a stripped TIFF.
  for (const name of ['landsat8-ottawa-rgb16-utm18-cog.tif', 'aerial-korea-nowater-3857-cog.tif', 'spot-chicago-pan-stateplane-ft.tif']) {
    it(`${name}: tiles read through the cache equal tiles read with no cache and with a 1 MiB cache (one or two blocks)`, async () => {
      const file = scenePath(name);
      const cached = await allTiles(file);
      expect(cached.ids.length).toBeGreaterThan(4);
      expect(cached.bytes.some((v) => v > 0)).toBe(true);
      for (const budget of [0, 1024 * 1024]) {
        const other = await allTiles(file, budget);
        expect(other.ids).toEqual(cached.ids);
        expect(other.bytes.equals(cached.bytes)).toBe(true);
      }
    });
  }

  it('windowed and resampled reads equal geotiff.js readRasters on the same image', async () => {
    const file = scenePath('naip-dakota-2009-rgbn-cog.tif');
    const tiff = await fromFile(file);
    const image = await tiff.getImage(0);
    const scene = await openScene(file);
    for (const [x, y, w, h, ow, oh] of [[500, 300, 224, 224, 224, 224], [0, 0, 934, 724, 700, 500], [10, 700, 900, 24, 600, 16]]) {
      const ref = (await image.readRasters({ window: [x, y, x + w, y + h], samples: [3, 0], ...(ow !== w ? { width: ow, height: oh, resampleMethod: 'nearest' } : {}) })) as unknown as Uint8Array[];
      const got = await scene.readWindow({ x, y, width: w, height: h }, { bands: [4, 1], width: ow, height: oh });
      expect(got.bands.map((b) => Array.from(b))).toEqual(ref.map((b) => Array.from(b)));
    }
    await scene.close();
    tiff.close();
  });

  it('the 1-bit internal mask read through the cache equals geotiff.js readRasters of the mask', async () => {
    const file = scenePath('aerial-korea-nowater-3857-cog.tif');
    const tiff = await fromFile(file);
    const main = await tiff.getImage(0);
    let mask = null;
    for (let i = 1; i < (await tiff.getImageCount()) && !mask; i++) {
      const img = await tiff.getImage(i);
      if (Number(img.fileDirectory.getValue('NewSubfileType') ?? 0) & 4 && img.getWidth() === main.getWidth()) mask = img;
    }
    expect(mask).not.toBeNull();
    const scene = await openScene(file);
    const [x, y, w, h] = [400, 380, 300, 260];
    const [ref] = (await mask!.readRasters({ window: [x, y, x + w, y + h], samples: [0] })) as unknown as Uint8Array[];
    const got = await scene.readWindow({ x, y, width: w, height: h });
    expect(Array.from(got.valid)).toEqual(Array.from(ref, (v) => (v === 0 ? 0 : 1)));
    await scene.close();
    tiff.close();
  });
});
