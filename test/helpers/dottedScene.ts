/**
 * A window that vectorizes into tens of thousands of polygons, for the on-demand event-loop test and the
 * server bench: a 1500² px one-band GeoTIFF (the 64 model tiles on-demand allows at most) of small dark dots
 * every 8 px — about 35 000 polygons — and a test segmenter for which dark pixels are water.
 */
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';
import { syntheticTiff } from '../raster/syntheticTiff.ts';

export const DOTTED_SCENE_SIZE = 1500;
const PERIOD = 8;
const RADIUS2 = 6;

/** The dotted scene's GeoTIFF bytes. */
export function dottedScene(): Buffer {
  const size = DOTTED_SCENE_SIZE;
  const buf = syntheticTiff({ width: size, height: size });
  const at = buf.length - size * size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (x % PERIOD) - PERIOD / 2;
      const dy = (y % PERIOD) - PERIOD / 2;
      buf[at + y * size + x] = dx * dx + dy * dy < RADIUS2 ? 20 : 200;
    }
  }
  return buf;
}

/**
 * Test double: dark pixels are water; it answers in a later turn of the event loop, as a model in another
 * thread does. `onSegmented(tilesSoFar)` is called after each batch is computed, before it is returned.
 */
export function darkIsWater(onSegmented?: (tilesSoFar: number) => void): Segmenter {
  let tilesSoFar = 0;
  return {
    info: { name: 'test-dark-water', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
    async segment(tiles: ModelTile[]) {
      await new Promise((r) => setImmediate(r));
      const results = tiles.map((t) => {
        const probability = new Float32Array(t.size * t.size);
        for (let i = 0; i < probability.length; i++) probability[i] = t.valid[i] && t.rgb[i * 3] < 128 ? 1 : 0;
        return { tileId: t.id, probability, defects: [] };
      });
      tilesSoFar += tiles.length;
      onSegmented?.(tilesSoFar);
      return results;
    },
    async dispose() {},
  };
}
