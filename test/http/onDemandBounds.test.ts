/**
 * On-demand segmentation reads, runs, stitches and vectorizes only the tiles under the bbox: one tile of a
 * 30000 x 30000 px scene costs what one tile costs, a bbox larger than the scene (the whole globe) gives
 * the complete result for the scene, identical to segmenting the whole scene, and /healthz stays fast.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { createCrsTransform } from '../../src/adapters/raster/crs.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { computeSceneStretch, defaultBands } from '../../src/pipeline/tileSource.ts';
import { repeatedTileGeoTiff } from '../raster/hostileTiff.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { startHarness, type Harness } from './serverHarness.ts';

interface Collection { features: { properties: { area_m2: number } }[]; waterline: { onDemand: { tiles: string[]; tilesFromCache: number } } }

describe('on-demand segmentation is bounded by the bbox', () => {
  let h: Harness;
  const seen: string[] = [];
  beforeAll(async () => {
    h = await startHarness({}, { onTile: (id) => seen.push(id) });
    writeFileSync(join(h.dataDir, 'huge.tif'), repeatedTileGeoTiff(30000, 30000, (b) => deflateSync(b)));
    writeFileSync(join(h.dataDir, 'small.tif'), repeatedTileGeoTiff(700, 600, (b) => deflateSync(b)));
  });
  afterAll(async () => h.stop());

  const register = async (path: string): Promise<string> => {
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };

  it('segments one tile of a 30000 x 30000 px scene in bounded time and memory, /healthz answering meanwhile', async () => {
    const id = await register('huge.tif');
    const scene = await openScene(join(h.dataDir, 'huge.tif'));
    const t = createCrsTransform(scene.info.crs);
    await scene.close();
    // the centre of model tile r60c60 (stride 192, 30 m pixels from 500000, 5000000)
    const [lon, lat] = t.toWgs84(500000 + (60 * 192 + 112) * 30, 5000000 - (60 * 192 + 112) * 30);
    const bbox = [lon - 0.0005, lat - 0.0005, lon + 0.0005, lat + 0.0005].join(',');
    const before = process.memoryUsage().rss;
    const started = Date.now();
    const pending = fetch(`${h.url}/scenes/${id}/water.geojson?bbox=${bbox}`);
    const health: number[] = [];
    let done = false;
    void pending.finally(() => { done = true; });
    while (!done) {
      const t0 = performance.now();
      await (await fetch(`${h.url}/healthz`)).arrayBuffer();
      health.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await pending;
    const seconds = (Date.now() - started) / 1000;
    expect(res.status).toBe(200);
    const body = (await res.json()) as Collection;
    const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
    console.log(`on-demand 1 tile of 30000x30000: ${seconds.toFixed(2)} s, RSS +${grown.toFixed(0)} MB, tiles ${body.waterline.onDemand.tiles.join(' ')}, /healthz max ${Math.max(...health).toFixed(0)} ms over ${health.length}`);
    expect(body.waterline.onDemand.tiles).toEqual(['r60c60']);
    expect(seen).toEqual(['r60c60']);
    expect(body.features.length).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(10);
    expect(grown).toBeLessThan(300);
  });

  it('serves imagery of a 30000 x 30000 px scene without overviews only from the zoom a tile can afford', async () => {
    const list = (await (await fetch(`${h.url}/scenes`)).json()) as { scenes: { id: string; name: string }[] };
    const id = list.scenes.find((s) => s.name === 'huge.tif')!.id;
    const tj = (await (await fetch(`${h.url}/scenes/${id}/tilejson.json`)).json()) as { minzoom: number; maxzoom: number };
    expect(tj.minzoom).toBe(tj.maxzoom - 4); // 16 scene pixels per tile pixel at most
    const tileAt = (z: number): string => {
      const n = 2 ** z;
      const lat = (41.9341 * Math.PI) / 180;
      return `${z}/${Math.floor(((-70.79 + 180) / 360) * n)}/${Math.floor(((1 - Math.log(Math.tan(lat) + 1 / Math.cos(lat)) / Math.PI) / 2) * n)}`;
    };
    const before = process.memoryUsage().rss;
    const low = await fetch(`${h.url}/scenes/${id}/tiles/${tileAt(tj.minzoom - 2)}.png`);
    expect(low.status).toBe(422);
    expect(((await low.json()) as { code: string; detail: string }).code).toBe('needs_overviews');
    const t = Date.now();
    const ok = await fetch(`${h.url}/scenes/${id}/tiles/${tileAt(tj.minzoom)}.png`);
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    console.log(`imagery tile at minzoom ${tj.minzoom}: ${Date.now() - t} ms, RSS +${((process.memoryUsage().rss - before) / 1024 / 1024).toFixed(0)} MB`);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 1024 * 1024);
  });

  it('answers a bbox larger than the scene with the whole scene, exactly as segmenting all of it', async () => {
    const id = await register('small.tif');
    const res = await fetch(`${h.url}/scenes/${id}/water.geojson?bbox=-180,-90,180,90`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Collection;
    const scene = await openScene(join(h.dataDir, 'small.tif'));
    const bands = defaultBands(scene.info);
    const whole = await segmentScene(scene, darkWaterSegmenter(), { bands, stretch: await computeSceneStretch(scene, bands) });
    await scene.close();
    expect(body.waterline.onDemand.tiles).toHaveLength(whole.summary.tilesTotal);
    expect(body.features.length).toBe(whole.collection.features.length);
    const area = (fs: { properties: { area_m2: number } }[]) => fs.reduce((s, f) => s + f.properties.area_m2, 0);
    expect(area(body.features)).toBeCloseTo(area(whole.collection.features), 0);
    expect(area(body.features)).toBeGreaterThan(0);
  });

  it('refuses a bbox crossing the antimeridian with a 400 that says how to ask', async () => {
    const id = await register('small.tif').catch(() => '');
    const list = (await (await fetch(`${h.url}/scenes`)).json()) as { scenes: { id: string; name: string }[] };
    const sceneId = id || list.scenes.find((s) => s.name === 'small.tif')!.id;
    const res = await fetch(`${h.url}/scenes/${sceneId}/water.geojson?bbox=170,-10,-170,10`);
    expect(res.status).toBe(400);
    const p = (await res.json()) as { code: string; detail: string };
    expect(p.code).toBe('bad_bbox');
    expect(p.detail).toMatch(/crossing the antimeridian.*bbox=170,-10,180,10 and bbox=-180,-10,-170,10/);
  });
});

describeShared('on-demand over a whole UTM scene (Ottawa, 16 model tiles)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.addFile(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'), 'ottawa.tif');
  });
  afterAll(async () => h.stop());

  it('answers the whole-globe bbox with every tile and the same water as segmenting the whole scene', async () => {
    const reg = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'ottawa.tif' }) });
    const { id } = (await reg.json()) as { id: string };
    const res = await fetch(`${h.url}/scenes/${id}/water.geojson?bbox=-180,-90,180,90`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Collection;
    const scene = await openScene(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    const bands = defaultBands(scene.info);
    const whole = await segmentScene(scene, darkWaterSegmenter(), { bands, stretch: await computeSceneStretch(scene, bands) });
    await scene.close();
    expect(whole.summary.tilesTotal).toBe(16);
    expect(body.waterline.onDemand.tiles).toHaveLength(16);
    expect(body.features.length).toBe(whole.collection.features.length);
    expect(body.features.length).toBeGreaterThan(10);
  });
});
