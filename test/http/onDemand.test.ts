import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import request from 'supertest';
import type { Segmenter, ModelTile } from '../../src/core/model/segmenter.ts';
import { parseBBox } from '../../src/http/routes/onDemand.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { DEFAULT_UNET_VERSION } from '../../src/core/model/modelNames.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

/**
 * Test double (a test tool, never served): every valid pixel of every tile it sees is water, and it records
 * which tiles and prompts it was asked for, so the test can check exactly what reached the model.
 */
function allWaterSegmenter(calls: { tileId: string; prompt: string }[]): Segmenter {
  return {
    info: { name: 'test-all-water', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: true },
    async segment(tiles: ModelTile[], { prompt }) {
      return tiles.map((t) => {
        calls.push({ tileId: t.id, prompt });
        return { tileId: t.id, probability: new Float32Array(t.size * t.size).fill(1), defects: [] };
      });
    },
    async dispose() {},
  };
}

describe('bbox parsing', () => {
  it('accepts any valid WGS84 bbox and returns it', () => {
    fc.assert(fc.property(
      fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }),
      fc.double({ min: -90, max: 90, noNaN: true }), fc.double({ min: -90, max: 90, noNaN: true }),
      (a, b, c, d) => {
        fc.pre(a !== b && c !== d);
        const bb = [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)];
        expect(parseBBox(bb.map(String).join(','))).toEqual(bb.map((v) => v + 0)); // -0 prints as 0
      },
    ));
  });
  it('refuses malformed, inverted and out-of-range boxes with bad_bbox', () => {
    for (const v of [undefined, '', '1,2,3', '1,2,3,4,5', 'a,b,c,d', '0,0,1,NaN', '0,0,Infinity,1', '0x1,0,1,1', '10,0,5,1', '0,10,1,5', '0,0,0,1', '-181,0,0,1', '0,-91,1,0', '0,0,181,1', ' , , , ']) {
      expect(() => parseBBox(v), String(v)).toThrow(expect.objectContaining({ code: 'bad_bbox', status: 400 }));
    }
  });
});

describeShared('on-demand segmentation (Ottawa COG, real pipeline)', () => {
  let server: TestServer;
  let sceneId: string;
  const calls: { tileId: string; prompt: string }[] = [];
  const file = scenePath('landsat8-ottawa-rgb16-utm18-cog.tif');

  beforeAll(async () => {
    server = await startTestServer({ loadSegmenter: async () => allWaterSegmenter(calls) });
    sceneId = addScene(server, file);
  });
  afterAll(async () => server?.stop());

  it('answers 400 problem+json for bad bboxes and 404 for unknown scenes', async () => {
    for (const q of ['', '?bbox=1,2,3', '?bbox=-75,45,-76,46', '?bbox=0,0,200,1']) {
      const res = await request(server.url).get(`/scenes/${sceneId}/water.geojson${q}`).expect(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.code).toBe('bad_bbox');
    }
    await request(server.url).get('/scenes/00000000-0000-0000-0000-000000000000/water.geojson?bbox=0,0,1,1').expect(404);
  });

  it('returns an empty collection without running the model when the bbox misses the scene', async () => {
    const res = await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=2,48,3,49`).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/geo\+json/);
    expect(res.body.features).toEqual([]);
    expect(res.body.waterline.onDemand.tiles).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('segments only the model tiles under the bbox, then serves them from the cache', async () => {
    const bbox = [-74.6, 45.9, -74.4, 46.05];
    const first = (await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=${bbox.join(',')}`).expect(200)).body;
    const tiles: string[] = first.waterline.onDemand.tiles;
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.length).toBeLessThan(16); // the scene has 16 model tiles
    expect(new Set(calls.map((c) => c.tileId))).toEqual(new Set(tiles));
    expect(calls.length).toBe(tiles.length);
    expect(first.waterline.onDemand.tilesFromCache).toBe(0);
    // every tile is all water: one polygon covering the union of the tiles, which contains the bbox centre
    expect(first.features.length).toBeGreaterThan(0);
    const lons = first.features.flatMap((f: any) => f.geometry.coordinates.flat(2).filter((_: number, i: number) => i % 2 === 0));
    const lats = first.features.flatMap((f: any) => f.geometry.coordinates.flat(2).filter((_: number, i: number) => i % 2 === 1));
    expect(Math.min(...lons)).toBeLessThan(bbox[0]);
    expect(Math.max(...lons)).toBeGreaterThan(bbox[2]);
    expect(Math.min(...lats)).toBeLessThan(bbox[1]);
    expect(Math.max(...lats)).toBeGreaterThan(bbox[3]);
    // ...but stays inside the scene's WGS84 extent (gdalinfo), far from covering all of it
    if (existsSync('/usr/bin/gdalinfo')) {
      const ext: number[][] = JSON.parse(execFileSync('gdalinfo', ['-json', file], { encoding: 'utf8' })).wgs84Extent.coordinates[0];
      const sw = Math.min(...ext.map((p) => p[0]));
      const se = Math.max(...ext.map((p) => p[0]));
      expect(Math.min(...lons)).toBeGreaterThanOrEqual(sw - 1e-6);
      expect(Math.max(...lons)).toBeLessThanOrEqual(se + 1e-6);
      expect(Math.max(...lons) - Math.min(...lons)).toBeLessThan((se - sw) * 0.8);
    }

    const before = calls.length;
    const again = (await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=${bbox.join(',')}`).expect(200)).body;
    expect(calls.length).toBe(before);
    expect(again.waterline.onDemand.tilesFromCache).toBe(tiles.length);
    expect(again.features.length).toBe(first.features.length);

    // another prompt is another cache entry (the model uses prompts)
    await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=${bbox.join(',')}&prompt=segment%20river`).expect(200);
    expect(calls.slice(before).every((c) => c.prompt === 'segment river')).toBe(true);
    expect(calls.length).toBe(before + tiles.length);
  });
});

describeShared('on-demand segmentation after the server dropped a model', () => {
  let server: TestServer;
  let sceneId: string;
  /** Every copy of a model the server loaded, in order: its name and whether it was disposed. */
  const copies: { model: string | null; disposed: boolean }[] = [];
  const misuse: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      maxLoadedModels: 1,
      loadSegmenter: async (model) => {
        const copy = { model, disposed: false };
        copies.push(copy);
        const inner = allWaterSegmenter([]);
        return {
          info: { ...inner.info, name: model ?? 'default' },
          async segment(tiles, options) {
            if (copy.disposed) misuse.push(`${model} segmented after it was disposed`);
            return inner.segment(tiles, options);
          },
          async dispose() {
            copy.disposed = true;
          },
        };
      },
    });
    sceneId = addScene(server, scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
  });
  afterAll(async () => server?.stop());

  it('a model dropped from the cache is disposed; asking for it again loads it again, never the disposed copy', async () => {
    const ask = async (model: string, prompt: string) => {
      const body = (await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=-74.6,45.9,-74.4,46.05&model=${model}&prompt=${prompt}`).expect(200)).body;
      expect(body.waterline.onDemand.model).toBe(model);
      expect(body.waterline.failedTiles ?? []).toEqual([]);
      expect(body.features.length).toBeGreaterThan(0);
    };
    await ask('waterline-unet', 'one');
    await ask(DEFAULT_UNET_VERSION, 'one'); // the same weights: the same copy, under the name asked for
    await ask('waterline-unet5', 'one'); // room for one named model: the default's versioned copy is dropped
    await ask('waterline-unet', 'two'); // another prompt: not from the tile cache, so the model runs
    await new Promise((r) => setImmediate(r));
    const named = copies.filter((c) => c.model !== null);
    expect(named).toEqual([
      { model: DEFAULT_UNET_VERSION, disposed: true },
      { model: 'waterline-unet5', disposed: true },
      { model: DEFAULT_UNET_VERSION, disposed: false },
    ]);
    expect(misuse).toEqual([]);
  });
});

