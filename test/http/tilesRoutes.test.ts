import { afterAll, beforeAll, expect, it } from 'vitest';
import request from 'supertest';
import sharp from 'sharp';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import type { FeatureCollection } from 'geojson';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { lonLatToTile, lonLatToTileFraction } from '../../src/core/grid/webMercator.ts';
import { addFinishedJob, addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

// A lake (with an island) inside the Ottawa scene, near its centre.
const lake: FeatureCollection = {
  type: 'FeatureCollection',
  features: [{
    type: 'Feature',
    id: 7,
    properties: { id: 7, area_m2: 1.2e7, mean_probability: 0.8 },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [[-74.50, 46.00], [-74.40, 46.00], [-74.40, 46.06], [-74.50, 46.06], [-74.50, 46.00]],
        [[-74.47, 46.02], [-74.47, 46.04], [-74.43, 46.04], [-74.43, 46.02], [-74.47, 46.02]],
      ],
    },
  }],
};

async function pixel(png: Buffer, px: number, py: number): Promise<number[]> {
  const { data } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (py * 256 + px) * 4;
  return [data[i], data[i + 1], data[i + 2], data[i + 3]];
}

describeShared('tile routes (Ottawa COG in the real server)', () => {
  let server: TestServer;
  let sceneId: string;
  let jobId: string;

  beforeAll(async () => {
    server = await startTestServer();
    sceneId = addScene(server, scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    jobId = addFinishedJob(server, sceneId, lake);
  });
  afterAll(async () => server?.stop());

  it('serves TileJSON 3.0.0 for the scene with bounds, centre and zooms', async () => {
    const res = await request(server.url).get(`/scenes/${sceneId}/tilejson.json`).expect(200);
    const tj = res.body;
    expect(tj.tilejson).toBe('3.0.0');
    expect(tj.tiles[0]).toBe(`${server.url}/scenes/${sceneId}/tiles/{z}/{x}/{y}.png`);
    // Ottawa scene: about 76°W..73°W, 45°N..47°N (gdalinfo wgs84Extent)
    expect(tj.bounds[0]).toBeCloseTo(-75.99, 1);
    expect(tj.bounds[3]).toBeCloseTo(47.09, 1);
    expect(tj.minzoom).toBeLessThan(tj.maxzoom);
    expect(tj.maxzoom).toBe(9); // 300 m pixels at 46°N
    const webp = await request(server.url).get(`/scenes/${sceneId}/tilejson.json?format=webp`).expect(200);
    expect(webp.body.tiles[0]).toMatch(/\.webp$/);
  });

  it('serves imagery PNG and WebP tiles with a strong ETag, 304 on If-None-Match', async () => {
    const t = lonLatToTile(-74.45, 46.03, 8);
    const res = await request(server.url).get(`/scenes/${sceneId}/tiles/8/${t.x}/${t.y}.png`).buffer(true).expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const etag = res.headers.etag;
    expect(etag).toMatch(/^"[^"]+"$/);
    const meta = await sharp(res.body as Buffer).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([256, 256, 4]);
    await request(server.url).get(`/scenes/${sceneId}/tiles/8/${t.x}/${t.y}.png`).set('If-None-Match', etag).expect(304);
    const w = await request(server.url).get(`/scenes/${sceneId}/tiles/8/${t.x}/${t.y}.webp`).buffer(true).expect(200);
    expect(w.headers['content-type']).toBe('image/webp');
    expect((await sharp(w.body as Buffer).metadata()).format).toBe('webp');
  });

  it('answers 204 (empty tile) outside the scene', async () => {
    const t = lonLatToTile(2.35, 48.85, 9);
    const res = await request(server.url).get(`/scenes/${sceneId}/tiles/9/${t.x}/${t.y}.png`).expect(204);
    expect(res.headers.etag).toBeDefined();
  });

  it('rejects bad z/x/y and formats with 400 problem+json, unknown scenes with 404', async () => {
    for (const path of ['25/0/0.png', '3/8/0.png', '3/0/-1.png', 'a/0/0.png', '3/0/0.jpg', '3/0/0', '1.5/0/0.png']) {
      const res = await request(server.url).get(`/scenes/${sceneId}/tiles/${path}`);
      expect(res.status, path).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('bad_tile');
    }
    const res = await request(server.url).get('/scenes/00000000-0000-0000-0000-000000000000/tiles/1/0/0.png').expect(404);
    expect(res.body.code).toBe('scene_not_found');
    await request(server.url).get(`/scenes/${sceneId}/tilejson.json?format=gif`).expect(400);
  });

  it('serves the water as MVT (layer water) at the right place, and TileJSON with vector_layers', async () => {
    const tj = (await request(server.url).get(`/jobs/${jobId}/tilejson.json?format=mvt`).expect(200)).body;
    expect(tj.tiles[0]).toBe(`${server.url}/jobs/${jobId}/tiles/{z}/{x}/{y}.mvt`);
    // a client opens the water where the scene's imagery opens, not at zoom 1 (the whole world)
    const imagery = (await request(server.url).get(`/scenes/${sceneId}/tilejson.json`).expect(200)).body;
    expect(tj.minzoom).toBe(0);
    expect(imagery.center[2]).toBeGreaterThan(5);
    expect(tj.center).toEqual(imagery.center);
    expect(tj.vector_layers[0].id).toBe('water');
    expect(tj.vector_layers[0].fields.area_m2).toBe('Number');
    const z = 10;
    const t = lonLatToTile(-74.49, 46.01, z);
    const res = await request(server.url).get(`/jobs/${jobId}/tiles/${z}/${t.x}/${t.y}.mvt`).buffer(true)
      .parse((r, cb) => { const chunks: Buffer[] = []; r.on('data', (c: Buffer) => chunks.push(c)); r.on('end', () => cb(null, Buffer.concat(chunks))); })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    const layer = new VectorTile(new PbfReader(res.body as Buffer)).layers.water;
    expect(layer.length).toBe(1);
    const f = layer.feature(0).toGeoJSON(t.x, t.y, z);
    const ring = (f.geometry as { coordinates: number[][][] }).coordinates[0];
    // the part of the lake in this tile lies within the lake's bounds
    for (const [lon, lat] of ring) {
      expect(lon).toBeGreaterThanOrEqual(-74.5 - 1e-3);
      expect(lat).toBeLessThanOrEqual(46.06 + 1e-3);
    }
    const away = lonLatToTile(-73.2, 45.2, z);
    await request(server.url).get(`/jobs/${jobId}/tiles/${z}/${away.x}/${away.y}.mvt`).expect(204);
  });

  it('serves the water overlay PNG: blue over the lake, clear over the island', async () => {
    const z = 11;
    const at = async (lon: number, lat: number) => {
      const t = lonLatToTile(lon, lat, z);
      const [fx, fy] = lonLatToTileFraction(lon, lat, z);
      const res = await request(server.url).get(`/jobs/${jobId}/tiles/${z}/${t.x}/${t.y}.png`).buffer(true).expect(200);
      return pixel(res.body as Buffer, Math.floor((fx - t.x) * 256), Math.floor((fy - t.y) * 256));
    };
    const water = await at(-74.49, 46.005);
    expect(water[3]).toBeGreaterThan(80);
    expect(water[2]).toBeGreaterThan(water[0]);
    expect((await at(-74.45, 46.03))[3]).toBe(0);
    const tj = (await request(server.url).get(`/jobs/${jobId}/tilejson.json?format=png`).expect(200)).body;
    expect(tj.tiles[0]).toMatch(/\.png$/);
  });

  it('documents the tile and on-demand routes in /openapi.json', async () => {
    const paths = Object.keys((await request(server.url).get('/openapi.json').expect(200)).body.paths);
    for (const p of ['/scenes/{id}/tiles/{z}/{x}/{y}.png', '/scenes/{id}/tilejson.json', '/jobs/{id}/tiles/{z}/{x}/{y}.mvt', '/jobs/{id}/tilejson.json', '/scenes/{id}/water.geojson', '/']) {
      expect(paths).toContain(p);
    }
  });

  it('refuses water tiles of a job that has not succeeded', async () => {
    const job = server.deps.store.createJob({ scene: sceneId, prompt: 'segment water', model: null, options: {} });
    const res = await request(server.url).get(`/jobs/${job.id}/tiles/1/0/0.mvt`).expect(409);
    expect(res.body.code).toBe('job_not_succeeded');
    await request(server.url).get('/jobs/00000000-0000-0000-0000-000000000000/tilejson.json').expect(404);
  });
});
