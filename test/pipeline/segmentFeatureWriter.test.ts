import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openWaterFeatureWriter } from '../../src/adapters/geojson/waterFeatureWriter.ts';
import { writeWaterGeoJson, type WaterFormat } from '../../src/adapters/geojson/writeWaterGeoJson.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { openTempSpillFileCount } from '../../src/adapters/raster/tempSpillFile.ts';
import { CancelledError } from '../../src/core/errors.ts';
import type { Connectivity } from '../../src/core/vector/traceMask.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { darkWaterSegmenter } from '../http/fixtures/darkWaterSegmenter.ts';

// The CLI streams features to its output file as the tracer closes their polygons (spilled, then written
// in id order after the provenance). The file must be byte for byte what writing the collected
// collection gave before, and a failed run must leave neither the output nor the spill behind.
const dir = mkdtempSync(join(tmpdir(), 'waterline-featurewriter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: { scene: string; connectivity: Connectivity; simplify: number; format: WaterFormat }[] = [
  { scene: 'spot-chicago-pan-stateplane-ft.tif', connectivity: 4, simplify: 0, format: 'geojson' },
  { scene: 'naip-dakota-2015-rgbn-cog.tif', connectivity: 8, simplify: 1.5, format: 'geojson' },
  { scene: 'landsat7-bahamas-rgb-utm18.tif', connectivity: 8, simplify: 0, format: 'geojsonseq' },
];


describeShared('streamed GeoJSON = the collected collection written (real scenes)', () => {
  for (const c of cases) {
    it(`${c.scene}, ${c.connectivity}-connectivity, simplify ${c.simplify}, ${c.format}: identical bytes`, async () => {
      const scene = await openScene(scenePath(c.scene));
      try {
        const model = darkWaterSegmenter({ soft: true });
        const options = { connectivity: c.connectivity, simplify: c.simplify, now: () => new Date(0) };
        const before = await segmentScene(scene, model, options);
        const expectedPath = join(dir, `expected-${c.scene}.${c.format}`);
        await writeWaterGeoJson(expectedPath, before.collection, c.format);

        const streamedPath = join(dir, `streamed-${c.scene}.${c.format}`);
        const writer = openWaterFeatureWriter(streamedPath, c.format);
        const orders: number[] = [];
        const streamed = await segmentScene(scene, model, { ...options, features: { add: (order, f) => (orders.push(order), writer.add(order, f)) } });
        expect(streamed.collection.features).toEqual([]);
        expect(existsSync(streamedPath)).toBe(false); // nothing at the output path until finish
        // the same provenance but for the run's timings: write the collected run's to compare the bytes
        const { timings: _t1, ...provenance } = streamed.collection.waterline;
        const { timings: _t2, ...expectedProvenance } = before.collection.waterline;
        expect(provenance).toEqual(expectedProvenance);
        await writer.finish(before.collection.waterline);

        expect(before.collection.features.length).toBeGreaterThan(5);
        expect(streamed.summary.polygons).toBe(before.collection.features.length);
        expect(streamed.summary.waterAreaM2).toBeCloseTo(before.summary.waterAreaM2, 3);
        // polygons close out of id order (a long water body closes after the small ones it started before)
        expect(orders.some((o, i) => i > 0 && o < orders[i - 1])).toBe(true);
        const expected = readFileSync(expectedPath);
        const got = readFileSync(streamedPath);
        expect(got.length).toBe(expected.length);
        expect(got.equals(expected)).toBe(true);
      } finally {
        await scene.close();
      }
    });
  }

  it('a cancelled run leaves no output file and no spill', async () => {
    const scene = await openScene(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    const out = join(dir, 'cancelled.geojson');
    // a spill directory of its own: other test files spill into the system's temp directory meanwhile
    const spillDir = mkdtempSync(join(tmpdir(), 'wl-cancel-spill-'));
    const before = openTempSpillFileCount();
    const writer = openWaterFeatureWriter(out, 'geojson', undefined, { spillDir });
    expect(openTempSpillFileCount()).toBe(before + 1); // its spill, open (its name already gone from spillDir)
    const controller = new AbortController();
    let tiles = 0;
    const model = darkWaterSegmenter({ onTile: () => void (++tiles === 4 && controller.abort()) });
    try {
      await expect(segmentScene(scene, model, { batch: 2, signal: controller.signal, features: writer })).rejects.toBeInstanceOf(CancelledError);
    } finally {
      writer.close();
      await scene.close();
    }
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('cancelled'))).toEqual([]);
    expect(openTempSpillFileCount()).toBe(before);
    expect(readdirSync(spillDir)).toEqual([]);
    rmSync(spillDir, { recursive: true, force: true });
  });

  it('a sink that fails while the tiles run (a full disk) fails the run, not the process', async () => {
    const scene = await openScene(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    let tiles = 0;
    let tilesAtFailure = -1;
    const model = darkWaterSegmenter({ delayMs: 5, onTile: () => void tiles++ });
    const features = {
      add: () => {
        tilesAtFailure = tiles;
        throw new Error('ENOSPC: no space left on device, write');
      },
    };
    try {
      await expect(segmentScene(scene, model, { batch: 2, features })).rejects.toThrow(/ENOSPC/);
    } finally {
      await scene.close();
    }
    // it failed in a slice traced between tiles (on its own turn of the event loop), not in the final pass
    expect(tilesAtFailure).toBeGreaterThan(0);
    expect(tilesAtFailure).toBeLessThan(tiles);
  });
});
