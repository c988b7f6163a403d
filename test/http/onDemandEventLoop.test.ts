/**
 * On-demand water.geojson runs its pipeline on the HTTP thread (the model runs off it): a window with
 * tens of thousands of polygons must not hold that thread for the whole vectorization and encoding, or
 * /healthz and tiles stall behind it. Checked by order, not by time: a /healthz sent once the first model
 * batch is computed, and one sent once the last tile is computed (all that is left is blending, tracing the
 * last rows, filtering and encoding ~35 000 features), are both answered before the on-demand answer. Before
 * the last rows were traced and the features filtered and encoded in turns, that work was one turn, and the
 * second /healthz was answered after it. How long the longest turn is: `npm run bench server`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { darkIsWater, dottedScene } from '../helpers/dottedScene.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

const WINDOW_TILES = 64;

/** A /healthz sent at some point of the on-demand run; `beforeWater`: answered before the on-demand answer arrived. */
interface HealthProbe {
  sentAfter: string;
  answered: Promise<{ status: number; beforeWater: boolean }>;
}

let server: TestServer;
let sceneId: string;
let bounds: number[];
let waterAnswered = false;
const probes: HealthProbe[] = [];

function probeHealth(sentAfter: string): void {
  const answered = fetch(`${server.url}/healthz`).then(async (res) => {
    const beforeWater = !waterAnswered; // its status line and headers, as for the on-demand answer
    await res.arrayBuffer();
    return { status: res.status, beforeWater };
  });
  probes.push({ sentAfter, answered });
}

beforeAll(async () => {
  const segmenter = darkIsWater((tilesSoFar) => {
    if (probes.length === 0) probeHealth(`the first model batch (${tilesSoFar} tiles)`);
    else if (tilesSoFar === WINDOW_TILES) probeHealth(`the last tile (${tilesSoFar} tiles)`);
  });
  server = await startTestServer({ loadSegmenter: async () => segmenter });
  const file = join(server.dataDir, 'dots.tif');
  writeFileSync(file, dottedScene());
  sceneId = addScene(server, file);
  // open the scene (header, stretch) before the run
  bounds = ((await (await fetch(`${server.url}/scenes/${sceneId}/tilejson.json`)).json()) as { bounds: number[] }).bounds;
});
afterAll(async () => server?.stop());

it('answers /healthz sent during a 64-tile window of thousands of polygons (after the first batch, after the last tile) before the window', async () => {
  const res = await fetch(`${server.url}/scenes/${sceneId}/water.geojson?bbox=${bounds.join(',')}`);
  waterAnswered = true; // the status line and headers: sent once every feature is encoded
  const text = await res.text();

  expect(res.status).toBe(200);
  const body = JSON.parse(text) as { features: unknown[]; waterline: { onDemand: { tiles: string[] } } };
  expect(body.waterline.onDemand.tiles).toHaveLength(WINDOW_TILES);
  expect(body.features.length).toBeGreaterThan(20_000);
  // the answer is exactly JSON.stringify of the collection (it is encoded a chunk of features at a time)
  expect(text).toBe(JSON.stringify(body));

  expect(probes.map((p) => p.sentAfter)).toEqual([expect.stringContaining('first model batch'), expect.stringContaining('last tile')]);
  for (const p of probes) {
    const { status, beforeWater } = await p.answered;
    expect(status, `/healthz sent after ${p.sentAfter}`).toBe(200);
    expect(beforeWater, `/healthz sent after ${p.sentAfter} answered before the on-demand answer`).toBe(true);
  }
}, 120_000);
