/**
 * On-demand water.geojson runs its pipeline on the HTTP thread (the model runs off it): a window with
 * tens of thousands of polygons must not hold that thread for the whole vectorization and encoding, or
 * /healthz and tiles stall behind it. Measured with the event loop's own delay histogram (perf_hooks), as a
 * share of the request, and by the /healthz answers given meanwhile. Before the last rows were traced and
 * the features filtered and encoded in turns, one turn took 54-58% of the request and /healthz answered 3-4
 * times; after, 14-22% (the rest is blending cached tiles, inside the pipeline) and 31-83 times (load 7-9 on 2 cores).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';
import { syntheticTiff } from '../raster/syntheticTiff.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

/** 1500² px (the 64 model tiles on-demand allows at most) of small dark dots every 8 px: about 35 000 polygons. */
const SIZE = 1500;
const PERIOD = 8;
const RADIUS2 = 6;
function dottedScene(): Buffer {
  const buf = syntheticTiff({ width: SIZE, height: SIZE });
  const at = buf.length - SIZE * SIZE;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const dx = (x % PERIOD) - PERIOD / 2;
      const dy = (y % PERIOD) - PERIOD / 2;
      buf[at + y * SIZE + x] = dx * dx + dy * dy < RADIUS2 ? 20 : 200;
    }
  }
  return buf;
}

/** Test double: dark pixels are water; it answers in a later turn of the event loop, as a model in another thread does. */
const darkIsWater: Segmenter = {
  info: { name: 'test-dark-water', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
  async segment(tiles: ModelTile[]) {
    await new Promise((r) => setImmediate(r));
    return tiles.map((t) => {
      const probability = new Float32Array(t.size * t.size);
      for (let i = 0; i < probability.length; i++) probability[i] = t.valid[i] && t.rgb[i * 3] < 128 ? 1 : 0;
      return { tileId: t.id, probability, defects: [] };
    });
  },
  async dispose() {},
};

let server: TestServer;
let sceneId: string;
let bounds: number[];

beforeAll(async () => {
  server = await startTestServer({ loadSegmenter: async () => darkIsWater });
  const file = join(server.dataDir, 'dots.tif');
  writeFileSync(file, dottedScene());
  sceneId = addScene(server, file);
  // open the scene (header, stretch) before measuring
  bounds = ((await (await fetch(`${server.url}/scenes/${sceneId}/tilejson.json`)).json()) as { bounds: number[] }).bounds;
});
afterAll(async () => server?.stop());

it('keeps the event loop turning through a 64-tile window with thousands of polygons; /healthz answers meanwhile', async () => {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  let done = false;
  const pending = fetch(`${server.url}/scenes/${sceneId}/water.geojson?bbox=${bounds.join(',')}`).then(async (res) => {
    done = true;
    return { status: res.status, text: await res.text() };
  });
  let healthAnswers = 0;
  while (!done) {
    const health = await fetch(`${server.url}/healthz`);
    await health.arrayBuffer();
    if (health.ok && !done) healthAnswers++;
  }
  const res = await pending;
  const elapsedMs = performance.now() - started;
  delay.disable();

  expect(res.status).toBe(200);
  const body = JSON.parse(res.text) as { features: unknown[]; waterline: { onDemand: { tiles: string[] } } };
  expect(body.waterline.onDemand.tiles).toHaveLength(64);
  expect(body.features.length).toBeGreaterThan(20_000);
  // the answer is exactly JSON.stringify of the collection (it is encoded a chunk of features at a time)
  expect(res.text).toBe(JSON.stringify(body));

  const longestTurnMs = delay.max / 1e6;
  const what = `longest event-loop stall ${longestTurnMs.toFixed(0)} ms of a ${elapsedMs.toFixed(0)} ms request, /healthz answered ${healthAnswers} times`;
  expect(longestTurnMs, what).toBeLessThan(elapsedMs / 3);
  expect(healthAnswers, what).toBeGreaterThanOrEqual(10);
}, 120_000);
