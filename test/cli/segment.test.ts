/**
 * End to end: `waterline segment` on a real scene with the scripted tiny PaliGemma (test tool: every tile
 * gets the same scripted answer) and the "fill" VAE (an instance mask is exactly its box), so the
 * expected polygons follow from the scene's geotransform alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bbox, booleanValid } from '@turf/turf';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { scriptedPaliGemma } from '../helpers/tinyModels.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';
import { runCli } from '../helpers/runCli.ts';

const SEGS = Array.from({ length: 16 }, (_, i) => `<seg${String(i * 7).padStart(3, '0')}>`).join('');
const SCENE = 'landsat8-stlawrence-rgb16-4326-cog.tif';
const run = (args: string[]) => runCli(args, { env: { ...readEnvConfig(), modelsDir: join(tmpdir(), 'waterline-no-models') } });

/** GDAL's view of the scene: geotransform, valid (band-1 mask) pixel count and valid extent. */
function gdalFacts(path: string): { gt: number[]; valid: number; cols: [number, number]; rows: [number, number]; epsg: string; nodata: number | null } {
  const py = `
import json; from osgeo import gdal; import numpy as np
d = gdal.Open(${JSON.stringify(path)}); m = d.GetRasterBand(1).GetMaskBand().ReadAsArray() > 0
r, c = np.nonzero(m)
print(json.dumps({"gt": d.GetGeoTransform(), "valid": int(m.sum()), "cols": [int(c.min()), int(c.max()) + 1], "rows": [int(r.min()), int(r.max()) + 1],
  "epsg": d.GetSpatialRef().GetAuthorityCode(None), "nodata": d.GetRasterBand(1).GetNoDataValue()}))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py]).toString());
}

describeShared('waterline segment (scripted PaliGemma + fill VAE, real scene)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-seg-'));
  let facts: ReturnType<typeof gdalFacts>;
  let vae: string;
  // the scene's top-left 168 x 112 px (nodata corner included), cropped into a temp dir to keep the test fast
  const scene = join(dir, 'stlawrence-crop.tif');
  beforeAll(() => {
    execFileSync('gdal_translate', ['-q', '-srcwin', '0', '0', '168', '112', scenePath(SCENE), scene]);
    facts = gdalFacts(scene);
    vae = fillVaePath();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a whole-tile answer on every tile: seams dissolve into the scene footprint, nodata stays out', async () => {
    const model = scriptedPaliGemma(`<loc0000><loc0000><loc1023><loc1023>${SEGS} water`);
    const out = join(dir, 'all.geojson');
    const r = await run(['segment', scene, '-o', out, '--model', model, '--vae', vae, '--overlap', '4', '--batch', '8', '--device', 'cpu']);
    expect(r.stderr).toMatch(/segment: \d+\/\d+ tiles/);
    expect(r.code, r.stderr).toBe(0);
    const fc = JSON.parse(readFileSync(out, 'utf8')) as WaterCollection;
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.waterline).toMatchObject({ prompt: 'segment water', threshold: 0.5, failedTiles: [] });
    // the scene as GDAL reads it: size, CRS and nodata, for whoever checks or reruns the result
    expect(fc.waterline).toMatchObject({ sceneSize: [168, 112], sceneCrs: `EPSG:${facts.epsg}`, sceneNodata: [facts.nodata] });
    expect(fc.waterline.skippedTiles!.length).toBeGreaterThan(0); // the nodata collar's corners
    const total = fc.features.reduce((s, f) => s + f.properties.pixel_count, 0);
    expect(Math.abs(total - facts.valid)).toBeLessThanOrEqual(2); // band masks differ by a pixel or two
    const largest = fc.features.reduce((a, f) => (f.properties.pixel_count > a.properties.pixel_count ? f : a));
    expect(largest.properties.pixel_count).toBeGreaterThan(facts.valid * 0.999); // one polygon, no seams
    expect(booleanValid(largest.geometry)).toBe(true);
    const [w, s, e, n] = bbox(fc);
    const { gt } = facts;
    expect(w).toBeCloseTo(gt[0] + facts.cols[0] * gt[1], 6);
    expect(e).toBeCloseTo(gt[0] + facts.cols[1] * gt[1], 6);
    expect(n).toBeCloseTo(gt[3] + facts.rows[0] * gt[5], 6);
    expect(s).toBeCloseTo(gt[3] + facts.rows[1] * gt[5], 6);
  }, 120_000);

  it('a box in each tile lands at the expected lon/lat (geojsonseq)', async () => {
    // lower-right quarter of every 28 px tile: pixels 14..27 (loc 512 → edge 14)
    const model = scriptedPaliGemma(`<loc0512><loc0512><loc1023><loc1023>${SEGS} water`);
    const out = join(dir, 'boxes.geojsons');
    const r = await run(['segment', scene, '-o', out, '--model', model, '--vae', vae, '--overlap', '0', '--format', 'geojsonseq', '--device', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith('\x1e'))).toBe(true);
    const features = lines.map((l) => JSON.parse(l.slice(1)) as WaterCollection['features'][number]);
    expect(features.length).toBeGreaterThan(8);
    for (const f of features) expect(f.properties.pixel_count).toBeLessThanOrEqual(14 * 14);
    // tile r2c3 (x 84..112, y 56..84) lies inside the footprint: its quarter is x 98..112, y 70..84
    const { gt } = facts;
    const expected = [gt[0] + 98 * gt[1], gt[3] + 84 * gt[5], gt[0] + 112 * gt[1], gt[3] + 70 * gt[5]];
    const hit = features.find((f) => Math.abs(bbox(f)[0] - expected[0]) < 1e-6 && Math.abs(bbox(f)[3] - expected[3]) < 1e-6);
    expect(hit, 'polygon of tile r2c3').toBeDefined();
    bbox(hit!).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(hit!.properties.pixel_count).toBe(196);
  }, 120_000);

  it('reports a missing scene in one line', async () => {
    const r = await run(['segment', join(dir, 'nope.tif'), '-o', join(dir, 'x.geojson')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: .*nope\.tif/);
  });
});
