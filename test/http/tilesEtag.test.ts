import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { copyFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { lonLatToTile } from '../../src/core/grid/webMercator.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

// Count every imagery render the server does (the real renderer underneath).
const renders = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/adapters/raster/tileRenderer.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/adapters/raster/tileRenderer.ts')>();
  return {
    ...real,
    createSceneTileRenderer: (...args: Parameters<typeof real.createSceneTileRenderer>) => {
      const r = real.createSceneTileRenderer(...args);
      return {
        footprint: r.footprint,
        render: (...a: Parameters<typeof r.render>) => {
          renders.count++;
          return r.render(...a);
        },
      };
    },
  };
});

describeShared('imagery tile ETag decided before pixels are read (Ottawa COG)', () => {
  let first: TestServer;
  let second: TestServer;
  const t = lonLatToTile(-74.45, 46.03, 8);
  const tilePath = (id: string, ext = 'png') => `/scenes/${id}/tiles/8/${t.x}/${t.y}.${ext}`;

  beforeAll(async () => {
    first = await startTestServer();
    // A second server on the same data directory: the same scenes and ids, nothing opened or cached yet.
    second = await startTestServer({}, { dataDir: first.dataDir });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
  });

  it('answers a conditional request 304 without rendering, on the same server and on a fresh one', async () => {
    const file = scenePath('landsat8-ottawa-rgb16-utm18-cog.tif');
    const a = addScene(first, file);
    const res = await request(first.url).get(tilePath(a)).buffer(true).expect(200);
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(renders.count).toBe(1);

    await request(first.url).get(tilePath(a)).set('If-None-Match', etag).expect(304);
    expect(renders.count).toBe(1);

    // A fresh server (as after a restart: scene never opened, nothing cached) gives the same tag and a 304
    // without rendering.
    await request(second.url).get(tilePath(a)).set('If-None-Match', etag).expect(304);
    expect(renders.count).toBe(1);
    const same = await request(second.url).get(tilePath(a)).buffer(true).expect(200);
    expect(same.headers.etag).toBe(etag);
    expect(Buffer.compare(same.body as Buffer, res.body as Buffer)).toBe(0);
    expect(renders.count).toBe(2);

    // Another format is another tag.
    const webp = await request(first.url).get(tilePath(a, 'webp')).expect(200);
    expect(webp.headers.etag).not.toBe(etag);
    expect(renders.count).toBe(3);
  });

  it('gives a new tag (and renders again) when the scene file changes under the same id', async () => {
    const copy = join(first.dataDir, 'ottawa-copy.tif');
    copyFileSync(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'), copy);
    const id = addScene(first, copy);
    const before = renders.count;
    const tag1 = (await request(first.url).get(tilePath(id)).expect(200)).headers.etag as string;
    await request(first.url).get(tilePath(id)).set('If-None-Match', tag1).expect(304);
    expect(renders.count).toBe(before + 1);
    const later = new Date(Date.now() + 60_000);
    utimesSync(copy, later, later);
    const res = await request(first.url).get(tilePath(id)).set('If-None-Match', tag1).expect(200);
    expect(res.headers.etag).not.toBe(tag1);
    expect(renders.count).toBe(before + 2);
  });
});
