import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureCollection, Polygon } from 'geojson';
import { area as turfArea } from '@turf/turf';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

const OTTAWA = 'landsat8-ottawa-rgb16-utm18-cog.tif';
const API_KEY = 'test-key-123456';

async function problem(res: Response): Promise<{ status: number; code: string; detail: string }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { type: string; title: string; status: number; detail: string; code: string };
  expect(body.status).toBe(res.status);
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  return body;
}

describe('server without scenes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ apiKey: API_KEY, cors: 'https://maps.example.org', maxJsonKb: 1 });
  });
  afterAll(async () => h.stop());

  it('answers health, readiness (with the provider) and the OpenAPI document', async () => {
    const live = (await (await fetch(`${h.url}/healthz`)).json()) as { status: string; provider: string | null; providers: string[] };
    expect(live.status).toBe('ok');
    // the providers that can start here: cpu always (webgpu only with a GPU adapter, cuda when installed and working)
    expect(live.providers).toEqual(expect.arrayContaining(['cpu']));
    const ready = await waitFor(async () => {
      const r = await fetch(`${h.url}/readyz`);
      return r.status === 200 ? ((await r.json()) as { status: string; model: Record<string, unknown>; provider: string; providers: string[] }) : undefined;
    }, 'readiness');
    expect(ready.status).toBe('ready');
    expect(ready.model).toEqual({ name: 'test-dark-water', kind: 'test', inputSize: 224, provider: 'cpu' });
    expect(ready.provider).toBe('cpu');
    expect(ready.providers).toEqual(live.providers);
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok', provider: 'cpu', providers: live.providers });
    const res = await fetch(`${h.url}/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/openapi\+json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/scenes', '/jobs/{id}', '/ogc/collections/{collectionId}/items', '/readyz']) expect(doc.paths).toHaveProperty([p]);
  });

  it('gives every response a request id, keeping a sane client one', async () => {
    const own = await fetch(`${h.url}/healthz`, { headers: { 'X-Request-Id': 'abc-123' } });
    expect(own.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${h.url}/healthz`, { headers: { 'X-Request-Id': 'no spaces <allowed>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('requires the API key on writes only (X-API-Key or Bearer)', async () => {
    const none = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect((await problem(none)).code).toBe('api_key_required');
    const wrong = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'nope-nope-nope' }, body: '{}' });
    expect((await problem(wrong)).code).toBe('bad_api_key');
    const bearer = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body: '{}' });
    expect(bearer.status).toBe(400); // past the key check, then invalid body
    expect((await fetch(`${h.url}/jobs`)).status).toBe(200);
  });

  it('maps malformed JSON, oversized bodies, bad fields and unknown ids to problem+json', async () => {
    const post = (body: string) => fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body });
    const malformed = await post('{"scene": ');
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).code).toBe('malformed_json');
    const big = await post(JSON.stringify({ scene: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect((await problem(big)).code).toBe('body_too_large');
    const field = await post(JSON.stringify({ scene: 'a', options: { threshold: 7 } }));
    expect(field.status).toBe(400);
    expect((await problem(field)).detail).toMatch(/options\.threshold/);
    const unknownScene = await post(JSON.stringify({ scene: '00000000-0000-0000-0000-000000000000' }));
    expect((await problem(unknownScene)).code).toBe('unknown_scene');
    for (const path of ['/jobs/nope', '/jobs/00000000-0000-0000-0000-000000000000', '/scenes/../../etc/passwd', '/ogc/collections/water-nope', '/nothing-here']) {
      const res = await fetch(`${h.url}${path}`);
      expect(res.status, path).toBe(404);
      await problem(res);
    }
    // a path the API has, with a method it does not take: 405 and what it takes
    for (const [method, path, allow] of [['DELETE', '/scenes/abc', 'GET, HEAD, OPTIONS'], ['GET', '/jobs/abc/cancel', 'POST, OPTIONS'], ['POST', '/healthz', 'GET, HEAD, OPTIONS']]) {
      const res = await fetch(`${h.url}${path}`, { method, headers: { 'x-api-key': API_KEY } });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      expect((await problem(res)).code).toBe('method_not_allowed');
    }
  });

  it('sends CORS headers to allowed origins only, and answers preflights', async () => {
    const ok = await fetch(`${h.url}/healthz`, { headers: { origin: 'https://maps.example.org' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://maps.example.org');
    const other = await fetch(`${h.url}/healthz`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${h.url}/jobs`, { method: 'OPTIONS', headers: { origin: 'https://maps.example.org', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-API-Key/);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/If-None-Match/); // a script's own conditional tile request
  });

  it('refuses paths outside the data directory: .., absolute, encoded, symlinks', async () => {
    const outside = join(h.dataDir, '..', `outside-${Date.now()}.tif`);
    writeFileSync(outside, 'not inside');
    symlinkSync(outside, join(h.dataDir, 'link-out.tif'));
    symlinkSync('/etc', join(h.dataDir, 'etc-link'));
    const register = (path: string) => fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: JSON.stringify({ path }) });
    for (const path of ['../x.tif', '../../../../etc/passwd', '/etc/passwd', outside, '%2e%2e/%2e%2e/etc/passwd', '..%2Fx.tif', 'link-out.tif', 'etc-link/passwd', 'a/../../x.tif']) {
      const res = await register(path);
      expect(res.status, path).toBe(403);
      expect((await problem(res)).code).toBe('path_outside_data_dir');
    }
    const missing = await register('does-not-exist.tif');
    expect(missing.status).toBe(404);
    const nul = await register('a\u0000b.tif');
    expect(nul.status).toBe(400);
    expect((await fetch(`${h.url}/scenes`)).status).toBe(200);
  });

  it('refuses non-TIFF and oversized uploads and keeps no file behind', async () => {
    const upload = (name: string, body: Uint8Array<ArrayBuffer>, type = 'image/tiff') =>
      fetch(`${h.url}/scenes?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { 'content-type': type, 'x-api-key': API_KEY }, body });
    const text = await upload('notes.tif', new TextEncoder().encode('this is not a tiff at all'));
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    await problem(text);
    const badName = await upload('../../evil.tif', new Uint8Array(10));
    expect(badName.status).toBe(400);
    const wrongType = await upload('x.tif', new Uint8Array(10), 'text/plain');
    expect(wrongType.status).toBe(415);
    const uploads = join(h.dataDir, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
  });
});

describe('upload size limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxUploadMb: 0.01 });
  });
  afterAll(async () => h.stop());

  it('answers 413 for a declared or streamed body over the limit and deletes the partial file', async () => {
    const body = new Uint8Array(64 * 1024);
    const declared = await fetch(`${h.url}/scenes?name=big.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body });
    expect(declared.status).toBe(413);
    expect((await problem(declared)).code).toBe('upload_too_large');
    // Chunked: no Content-Length, so the limit is enforced while streaming.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(new Uint8Array(8 * 1024));
        c.close();
      },
    });
    const streamed = await fetch(`${h.url}/scenes?name=big.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
    const uploads = join(h.dataDir, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});

describe('at most N concurrent uploads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxConcurrentUploads: 1 });
  });
  afterAll(async () => h.stop());

  it('answers 429 while the limit is reached', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(new Uint8Array(100));
        await gate;
        c.enqueue(new TextEncoder().encode('still not a tiff'));
        c.close();
      },
    });
    const first = fetch(`${h.url}/scenes?name=a.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: slow, duplex: 'half' } as RequestInit);
    await new Promise((r) => setTimeout(r, 300));
    const second = await fetch(`${h.url}/scenes?name=b.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(10) });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('5');
    release();
    expect((await first).status).toBe(400);
  });
});

describeShared('scenes, jobs and OGC API – Features on a real scene', () => {
  let h: Harness;
  let sceneId: string;
  let jobId: string;
  const tilesSeen: string[] = [];
  beforeAll(async () => {
    h = await startHarness({}, { onTile: (id) => tilesSeen.push(id) });
    h.addFile(scenePath(OTTAWA));
  });
  afterAll(async () => h.stop());

  it('registers a scene inside the data directory (idempotent) with its info', async () => {
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: OTTAWA }) });
    expect(res.status).toBe(201);
    const scene = (await res.json()) as { id: string; name: string; info: { size: number[]; crs: { epsg: number }; description: string } };
    expect(res.headers.get('location')).toBe(`/scenes/${scene.id}`);
    expect(scene.name).toBe(OTTAWA);
    expect(scene.info.size).toEqual([779, 790]);
    expect(scene.info.crs.epsg).toBe(32618);
    expect(JSON.stringify(scene)).not.toContain(h.dataDir);
    sceneId = scene.id;
    const again = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: `./sub/../${OTTAWA}` }) });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(sceneId);
    const list = (await (await fetch(`${h.url}/scenes`)).json()) as { scenes: { id: string }[] };
    expect(list.scenes.map((s) => s.id)).toEqual([sceneId]);
    expect(((await (await fetch(`${h.url}/scenes/${sceneId}`)).json()) as { id: string }).id).toBe(sceneId);
  });

  it('accepts an uploaded GeoTIFF (streamed, validated) under uploads/', async () => {
    const bytes = readFileSync(scenePath('landsat8-stlawrence-rgb16-4326-cog.tif'));
    const res = await fetch(`${h.url}/scenes?name=stlawrence.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: bytes });
    expect(res.status).toBe(201);
    const scene = (await res.json()) as { name: string; info: { size: number[]; crs: { epsg: number } } };
    expect(scene.name).toMatch(/^uploads\/[0-9a-f]{8}-stlawrence\.tif$/);
    expect(scene.info.size).toEqual([400, 200]);
    expect(scene.info.crs.epsg).toBe(4326);
    expect(readFileSync(join(h.dataDir, scene.name)).equals(bytes)).toBe(true);
  });

  it('runs a job to the end: 202 + Location, progress, water.geojson', async () => {
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, options: { minArea: 50000 } }) });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; state: string; prompt: string };
    expect(res.headers.get('location')).toBe(`/jobs/${job.id}`);
    expect(['queued', 'running']).toContain(job.state);
    expect(job.prompt).toBe('segment water');
    jobId = job.id;
    const done = await waitFor(async () => {
      const j = (await (await fetch(`${h.url}/jobs/${jobId}`)).json()) as { state: string; progress: Record<string, number>; error?: string };
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    }, 'job end');
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('succeeded');
    expect(done.progress.tilesTotal).toBeGreaterThan(4);
    expect(done.progress.tilesDone).toBe(done.progress.tilesTotal);
    // every non-skipped tile was segmented exactly once
    expect(new Set(tilesSeen).size).toBe(tilesSeen.length);
    expect(tilesSeen.length + done.progress.tilesSkipped).toBe(done.progress.tilesTotal);
    expect(h.deps.store.countTiles(jobId)).toBe(tilesSeen.length);

    const geo = await fetch(`${h.url}/jobs/${jobId}/water.geojson`);
    expect(geo.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const fc = (await geo.json()) as FeatureCollection<Polygon>;
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features.length).toBeGreaterThan(0);
    // every polygon lies inside the scene's footprint (gdalinfo's wgs84Extent: lon -76..-72.9, lat 44.9..47.1)
    for (const f of fc.features) {
      const [lon, lat] = f.geometry.coordinates[0][0];
      expect(lon).toBeGreaterThan(-75.99);
      expect(lon).toBeLessThan(-72.9);
      expect(lat).toBeGreaterThan(44.94);
      expect(lat).toBeLessThan(47.09);
      expect(turfArea(f)).toBeGreaterThanOrEqual(50000 * 0.99);
    }
    const list = (await (await fetch(`${h.url}/jobs?state=succeeded`)).json()) as { jobs: { id: string }[] };
    expect(list.jobs.map((j) => j.id)).toEqual([jobId]);
    const late = await fetch(`${h.url}/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(late.status).toBe(409);
  });

  it('serves the result as OGC API – Features with paging and bbox', async () => {
    const landing = (await (await fetch(`${h.url}/ogc`)).json()) as { links: { rel: string; href: string }[] };
    expect(landing.links.map((l) => l.rel)).toEqual(expect.arrayContaining(['self', 'service-desc', 'conformance', 'data']));
    expect(landing.links.find((l) => l.rel === 'service-desc')!.href).toBe(`${h.url}/openapi.json`);
    const conf = (await (await fetch(`${h.url}/ogc/conformance`)).json()) as { conformsTo: string[] };
    expect(conf.conformsTo).toHaveLength(3);
    const cols = (await (await fetch(`${h.url}/ogc/collections`)).json()) as { collections: { id: string; extent: { spatial: { bbox: number[][]; crs: string } } }[] };
    expect(cols.collections.map((c) => c.id)).toEqual(['water', `water-${jobId}`]);
    const fc = (await (await fetch(`${h.url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection;
    const total = fc.features.length;
    const [minX, minY, maxX, maxY] = cols.collections.find((c) => c.id === `water-${jobId}`)!.extent.spatial.bbox[0];
    expect(minX).toBeLessThan(maxX);
    expect(minY).toBeLessThan(maxY);

    const base = `${h.url}/ogc/collections/water-${jobId}/items`;
    const pageSize = Math.max(2, Math.ceil(total / 4));
    const page1 = await fetch(`${base}?limit=2`);
    expect(page1.headers.get('content-type')).toMatch(/^application\/geo\+json/);
    const p1 = (await page1.json()) as { features: { id: number }[]; numberMatched: number; numberReturned: number; links: { rel: string; href: string }[] };
    expect(p1.numberMatched).toBe(total);
    expect(p1.numberReturned).toBe(Math.min(2, total));
    // walk every page through the `next` links
    let seen = 0;
    let next: string | undefined = `${base}?limit=${pageSize}`;
    while (next) {
      const page = (await (await fetch(next)).json()) as typeof p1;
      seen += page.numberReturned;
      next = page.links.find((l) => l.rel === 'next')?.href;
    }
    expect(seen).toBe(total);
    const p2 = (await (await fetch(`${base}?limit=2&offset=2`)).json()) as typeof p1;
    expect(p2.links.find((l) => l.rel === 'prev')!.href).toMatch(/offset=0/);

    const outside = (await (await fetch(`${base}?bbox=10,10,11,11`)).json()) as typeof p1;
    expect(outside.numberMatched).toBe(0);
    const all = (await (await fetch(`${base}?bbox=${minX},${minY},${maxX},${maxY}&limit=100000`)).json()) as typeof p1;
    expect(all.numberMatched).toBe(total);
    const bad = await fetch(`${base}?bbox=1,2,3`);
    expect(bad.status).toBe(400);
    await problem(bad);
    // datetime (OGC Core): a feature's time is its job's run
    const before = (await (await fetch(`${base}?datetime=2001-01-01/2001-12-31`)).json()) as typeof p1;
    expect(before.numberMatched).toBe(0);
    const since = (await (await fetch(`${base}?datetime=2001-01-01T00:00:00Z/..&limit=1`)).json()) as typeof p1 & { links: { rel: string; href: string }[] };
    expect(since.numberMatched).toBe(total);
    expect(since.links.find((l) => l.rel === 'next')!.href).toMatch(/datetime=2001-01-01T00%3A00%3A00Z%2F\.\./);
    const until = (await (await fetch(`${base}?datetime=../2999-01-01`)).json()) as typeof p1;
    expect(until.numberMatched).toBe(total);
    for (const badTime of ['yesterday', '2001-02-01/2001-01-01', '../..x']) expect((await fetch(`${base}?datetime=${badTime}`)).status).toBe(400);
    // the message names what is wrong: here the longitudes, not "minLat <= maxLat"
    const huge = await fetch(`${base}?bbox=-181,-90,180,90`);
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { detail: string }).detail).toMatch(/longitudes -181,180 must lie within -180\.\.180/);

    const one = await fetch(`${base}/${p1.features[0].id}`);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: number }).id).toBe(p1.features[0].id);
    expect((await fetch(`${base}/999999`)).status).toBe(404);
  });

  it('is readable by GDAL\'s OAPIF driver (ogrinfo): feature count and extent', async (ctx) => {
    if (spawnSync('ogrinfo', ['--version']).status !== 0) {
      ctx.skip();
      return;
    }
    const fc = (await (await fetch(`${h.url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection;
    const layer = `water-${jobId}`;
    // ogrinfo blocks its caller; run it asynchronously so this process keeps serving.
    const { spawn } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn('ogrinfo', ['-ro', '-al', '-so', `OAPIF:${h.url}/ogc`, layer]);
      let s = '';
      p.stdout.on('data', (d) => (s += d));
      p.stderr.on('data', (d) => (s += d));
      p.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`ogrinfo exited ${code}: ${s}`))));
    });
    expect(out).toMatch(new RegExp(`Feature Count: ${fc.features.length}\\b`));
    const m = out.match(/Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)/);
    expect(m).not.toBeNull();
    const cols = (await (await fetch(`${h.url}/ogc/collections/${layer}`)).json()) as { extent: { spatial: { bbox: number[][] } } };
    const bbox = cols.extent.spatial.bbox[0];
    for (let i = 0; i < 4; i++) expect(Number(m![i + 1])).toBeCloseTo(bbox[i], 5);
  });

  it('cancels a running job', async () => {
    const slow = await startHarness({}, { delayMs: 300 });
    try {
      slow.addFile(scenePath(OTTAWA));
      const scene = (await (await fetch(`${slow.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: OTTAWA }) })).json()) as { id: string };
      const job = (await (await fetch(`${slow.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: scene.id }) })).json()) as { id: string };
      await waitFor(async () => {
        const j = (await (await fetch(`${slow.url}/jobs/${job.id}`)).json()) as { state: string };
        return j.state === 'running' ? j : undefined;
      }, 'running');
      const res = await fetch(`${slow.url}/jobs/${job.id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { state: string }).state).toBe('cancelled');
      await new Promise((r) => setTimeout(r, 500));
      const after = (await (await fetch(`${slow.url}/jobs/${job.id}`)).json()) as { state: string };
      expect(after.state).toBe('cancelled');
      expect((await fetch(`${slow.url}/jobs/${job.id}/water.geojson`)).status).toBe(409);
      expect((await fetch(`${slow.url}/ogc/collections/water-${job.id}`)).status).toBe(404);
    } finally {
      await slow.stop();
    }
  });
});

describe('data dir symlink into itself is fine', () => {
  it('accepts a symlink that stays inside', async () => {
    const h = await startHarness();
    try {
      mkdirSync(join(h.dataDir, 'a'));
      writeFileSync(join(h.dataDir, 'a', 'f.tif'), 'x');
      symlinkSync(join(h.dataDir, 'a', 'f.tif'), join(h.dataDir, 'inside.tif'));
      const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'inside.tif' }) });
      // resolved inside, then refused by validation as not a GeoTIFF (not 403)
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).not.toBe(403);
      expect(res.status).toBeLessThan(500);
    } finally {
      await h.stop();
    }
  });
});
