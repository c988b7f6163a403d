import { booleanValid } from '@turf/turf';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.ts';
import { segmentScene, type SegmentProgress } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from './memoryScene.ts';

// 300 x 260 px scene, bright land (200) with a dark lake (50) of radius 60 px centred at (130, 115):
// with 64 px tiles and 16 px overlap (stride 48) the lake spans a 3 x 3 block of tiles.
const lake = (x: number, y: number) => ((x + 0.5 - 130) ** 2 + (y + 0.5 - 115) ** 2 <= 60 * 60 ? 50 : 200);

describe('segmentScene', () => {
  it('stitches a lake crossing many tiles into one seamless polygon with the right area', async () => {
    const scene = memoryScene(300, 260, lake);
    const progress: SegmentProgress[] = [];
    const done: string[] = [];
    const { collection, summary } = await segmentScene(scene, darkIsWater(100), {
      overlap: 16,
      batch: 3,
      onProgress: (p) => progress.push(p),
      onTileDone: (id, probability) => {
        done.push(id);
        expect(probability).toHaveLength(64 * 64);
      },
      now: () => new Date('2026-01-01T00:00:00Z'),
    });
    expect(collection.features).toHaveLength(1);
    const f = collection.features[0];
    expect(booleanValid(f.geometry)).toBe(true);
    expect(f.geometry.type).toBe('Polygon');
    // pixel count of the rasterized disk, exactly
    let pixels = 0;
    for (let y = 0; y < 260; y++) for (let x = 0; x < 300; x++) if (lake(x, y) === 50) pixels++;
    expect(f.properties.pixel_count).toBe(pixels);
    expect(f.geometry.coordinates).toHaveLength(1); // no holes, no seams
    // geodesic area vs 900 m² per UTM pixel (scale factor near 0.9996² at this easting)
    expect(Math.abs(f.properties.area_m2 / (pixels * 900) - 1)).toBeLessThan(0.002);
    expect(f.properties.mean_probability).toBe(1);
    expect(summary.tilesTotal).toBe(6 * 6);
    expect(summary.tilesDone).toBe(36);
    expect(summary.tilesFailed).toBe(0);
    expect(done).toHaveLength(36);
    expect(collection.waterline).toMatchObject({ scene: 'memory://test-scene', model: 'test-dark-is-water', threshold: 0.5, created: '2026-01-01T00:00:00.000Z', failedTiles: [] });
    expect(progress.at(-1)).toMatchObject({ tilesDone: 36, tilesTotal: 36 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].tilesDone).toBeGreaterThanOrEqual(progress[i - 1].tilesDone);
    // rolling band: never more than the rows a tile spans (64 / 48 → 3 bands) alive at once
    expect(summary.stitcher.peakLiveBands).toBeLessThanOrEqual(3);
    expect(summary.stitcher.finalizedBands).toBe(summary.stitcher.totalBands);
  });

  it('skips all-nodata tiles and produces nothing there', async () => {
    // left 150 columns nodata (0), right half dark water
    const scene = memoryScene(300, 100, (x) => (x < 150 ? 0 : 50));
    const { collection, summary } = await segmentScene(scene, darkIsWater(100), { overlap: 16 });
    expect(summary.tilesSkipped).toBeGreaterThan(0);
    expect(collection.features).toHaveLength(1);
    expect(collection.features[0].properties.pixel_count).toBe(150 * 100);
    expect(collection.waterline.skippedTiles).toEqual(summary.skippedTiles);
  });

  it('retries a failed batch tile by tile and reports tiles that fail twice', async () => {
    const scene = memoryScene(300, 260, lake);
    const model = darkIsWater(100, { failFirstCall: true, failAlways: new Set(['r2c2']) });
    const { collection, summary } = await segmentScene(scene, model, { overlap: 16, batch: 4 });
    expect(summary.failedTiles.map((f) => f.tileId)).toEqual(['r2c2']);
    expect(summary.failedTiles[0].error).toContain('simulated failure on r2c2');
    expect(collection.waterline.failedTiles).toEqual(summary.failedTiles);
    // the lake still exists, with the failed tile's exclusive area missing (a hole), never silently
    expect(collection.features.length).toBeGreaterThanOrEqual(1);
    expect(summary.tilesDone).toBe(36);
  });

  it('does not recompute tiles passed in `completed` and gives the same result', async () => {
    const scene = memoryScene(300, 260, lake);
    const stored = new Map<string, Float32Array>();
    const full = await segmentScene(scene, darkIsWater(100), { overlap: 16, onTileDone: (id, p) => void stored.set(id, p.slice()) });
    const partial = new Map([...stored].slice(0, 17));
    const model = darkIsWater(100);
    const resumed = await segmentScene(scene, model, { overlap: 16, completed: partial });
    const recomputed = model.calls.flat();
    expect(recomputed).toHaveLength(36 - 17);
    for (const id of partial.keys()) expect(recomputed).not.toContain(id);
    expect(resumed.summary.tilesResumed).toBe(17);
    expect(resumed.collection.features.map((f) => f.properties.pixel_count)).toEqual(full.collection.features.map((f) => f.properties.pixel_count));
  });

  it('stops with CancelledError when aborted', async () => {
    const scene = memoryScene(300, 260, lake);
    const controller = new AbortController();
    const model = darkIsWater(100, { onBatch: (ids) => ids.includes('r1c0') && controller.abort() });
    await expect(segmentScene(scene, model, { overlap: 16, batch: 2, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});
