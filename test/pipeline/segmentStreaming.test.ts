import { expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { createCrsTransform } from '../../src/adapters/raster/crs.ts';
import { PROBABILITY_SCALE } from '../../src/core/masks/probabilityCodec.ts';
import type { Segmenter } from '../../src/core/model/segmenter.ts';
import { thresholdProbability } from '../../src/core/masks/probabilityStitcher.ts';
import { probabilityHistogram } from '../../src/core/report/histogram.ts';
import { defaultMinAreaM2 } from '../../src/core/vector/minimumMappingUnit.ts';
import { tracedToFeatures } from '../../src/core/vector/toGeoJson.ts';
import { blendSceneProbability, segmentScene } from '../../src/pipeline/segmentScene.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { darkWaterSegmenter } from '../http/fixtures/darkWaterSegmenter.ts';
import { traceMask as referenceTraceMask, typedRings } from '../vector/referenceTraceMask.ts';

// segmentScene streams: bands of rows → bit mask + probability rows (each in memory or a temp file) → one-pass tracer.
// It must give exactly what the whole-scene path gave before: blend the whole probability, threshold,
// label every pixel, trace (the previous tracer, kept as the test reference), features.
const cases = [
  { scene: 'spot-chicago-pan-stateplane-ft.tif', connectivity: 4 as const, memoryBytes: 100, delayMs: 2 },
  { scene: 'naip-dakota-2015-rgbn-cog.tif', connectivity: 8 as const, memoryBytes: undefined },
  { scene: 'landsat8-ottawa-rgb16-utm18-cog.tif', connectivity: 4 as const, memoryBytes: undefined },
  { scene: 'landsat7-bahamas-rgb-utm18.tif', connectivity: 8 as const, memoryBytes: 100 },
];

/**
 * The model's calls served one after another, as a model computing in its own thread serves its queue (segmentScene
 * hands batch k+1 to the model before blending batch k; timers alone would run the delays side by side).
 */
function oneCallAtATime(model: Segmenter): Segmenter {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    ...model,
    segment(tiles, options) {
      const call = queue.then(() => model.segment(tiles, options));
      queue = call.catch(() => undefined);
      return call;
    },
  };
}

describeShared('streaming segmentScene = whole-scene vectorizing (real scenes)', () => {
  for (const c of cases) {
    it(`${c.scene}, ${c.connectivity}-connectivity, probability and mask ${c.memoryBytes ? 'in temporary files' : 'in memory'}: same polygons, ids, areas, means`, async () => {
      const scene = await openScene(scenePath(c.scene));
      try {
        const model = oneCallAtATime(darkWaterSegmenter({ soft: true, delayMs: 'delayMs' in c ? c.delayMs : undefined }));
        const { collection, summary } = await segmentScene(scene, model, {
          connectivity: c.connectivity,
          probabilityMemoryBytes: c.memoryBytes,
          maskMemoryBytes: c.memoryBytes,
          now: () => new Date(0),
        });
        if ('delayMs' in c) {
          // the model takes time off the main thread: finished rows were vectorized while later tiles ran
          // (at least the first band of 192 rows; a water body reaching rows not finished yet holds the pass)
          expect(summary.rowsVectorizedDuringTiles).toBeGreaterThanOrEqual(192);
          expect(summary.rowsVectorizedDuringTiles).toBeLessThan(scene.info.height);
        }
        const { probability } = await blendSceneProbability(scene, model, {});
        const { width, height, geoTransform } = scene.info;
        const toWgs84 = createCrsTransform(scene.info.crs).toWgs84;
        const trace = typedRings(referenceTraceMask(thresholdProbability(probability, 0.5), width, height, { connectivity: c.connectivity, values: probability }));
        const expected = tracedToFeatures(trace, { geoTransform, toWgs84, minAreaM2: defaultMinAreaM2(width, height, geoTransform, toWgs84), valueScale: PROBABILITY_SCALE });
        expect(expected.length).toBeGreaterThan(5);
        expect(collection.features.length).toBe(expected.length);
        expect(collection.features).toEqual(expected);
        expect(collection.waterline.probabilityHistogram).toEqual(probabilityHistogram(probability));
      } finally {
        await scene.close();
      }
    });
  }
});
