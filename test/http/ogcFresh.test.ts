/**
 * GDAL's OAPIF driver (and QGIS through it) connects to a fresh server: the always-present `water`
 * collection (all finished water, filterable by job) exists before any job, empty, and fills as jobs succeed.
 * Uses the real `ogrinfo` (Debian gdal-bin); skipped with a message when it is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repeatedTileGeoTiff } from '../raster/hostileTiff.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

const hasOgrinfo = spawnSync('ogrinfo', ['--version']).status === 0;
if (!hasOgrinfo) console.warn('skipping the ogrinfo checks of the OGC API: gdal-bin (ogrinfo) is not installed');

/** ogrinfo blocks its caller: run it asynchronously so this process keeps serving. */
function ogrinfo(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('ogrinfo', args);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('OGC API – Features on a fresh server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.stop());

  it('lists the water collection, empty, before any job', async () => {
    const cols = (await (await fetch(`${h.url}/ogc/collections`)).json()) as { collections: { id: string }[] };
    expect(cols.collections.map((c) => c.id)).toEqual(['water']);
    const items = (await (await fetch(`${h.url}/ogc/collections/water/items`)).json()) as { features: unknown[]; numberMatched: number };
    expect(items.features).toEqual([]);
    expect(items.numberMatched).toBe(0);
    const bad = await fetch(`${h.url}/ogc/collections/water/items?job=nope`);
    expect(bad.status).toBe(400);
  });

  it.skipIf(!hasOgrinfo)('opens with ogrinfo before any job, and serves each job\'s water after', async () => {
    const fresh = await ogrinfo(['-ro', '-so', `OAPIF:${h.url}/ogc`]);
    expect(fresh.code, fresh.out).toBe(0);
    expect(fresh.out).toMatch(/1: water\b/);
    const empty = await ogrinfo(['-ro', '-al', '-so', `OAPIF:${h.url}/ogc`, 'water']);
    expect(empty.code, empty.out).toBe(0);
    expect(empty.out).toMatch(/Feature Count: 0\b/);

    writeFileSync(join(h.dataDir, 'disks.tif'), repeatedTileGeoTiff(600, 500, (b) => deflateSync(b)));
    const scene = (await (await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'disks.tif' }) })).json()) as { id: string };
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const job = (await (await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: scene.id }) })).json()) as { id: string };
      await waitFor(async () => ((await (await fetch(`${h.url}/jobs/${job.id}`)).json()) as { state: string }).state === 'succeeded' || undefined, 'job');
      ids.push(job.id);
    }
    const perJob = ((await (await fetch(`${h.url}/jobs/${ids[0]}/water.geojson`)).json()) as { features: unknown[] }).features.length;
    expect(perJob).toBeGreaterThan(0);
    const all = await ogrinfo(['-ro', '-al', '-so', `OAPIF:${h.url}/ogc`, 'water']);
    expect(all.code, all.out).toBe(0);
    expect(all.out).toMatch(new RegExp(`Feature Count: ${2 * perJob}\\b`));
    const one = (await (await fetch(`${h.url}/ogc/collections/water/items?job=${ids[1]}&limit=1`)).json()) as { features: { id: string; properties: { job: string } }[]; numberMatched: number; links: { rel: string; href: string }[] };
    expect(one.numberMatched).toBe(perJob);
    expect(one.features[0].properties.job).toBe(ids[1]);
    expect(one.links.find((l) => l.rel === 'next')?.href).toContain(`job=${ids[1]}`);
    const single = await fetch(`${h.url}/ogc/collections/water/items/${one.features[0].id}`);
    expect(single.status).toBe(200);
    const listed = await ogrinfo(['-ro', '-so', `OAPIF:${h.url}/ogc`]);
    expect(listed.out).toMatch(/1: water\b/);
    expect(listed.out).toMatch(new RegExp(`water-${ids[0]}`));
  });
});
