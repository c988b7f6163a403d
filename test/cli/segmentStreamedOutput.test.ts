/**
 * `waterline segment` writes its features as they are made (spilled, then the GeoJSON in id order): the
 * file, standard output (geojsonseq) and the --report page, which still gets every polygon, must agree.
 * Built-in U-Net v1 (pinned by version: the test is about streaming, not about which model is the default; v1
 * finds many small polygons on this crop) on a 600 x 500 crop of a real scene (9 tiles).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';

describeShared('waterline segment streams its output (U-Net, real scene crop)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-segstream-'));
  const scene = join(dir, 'ottawa-crop.tif');
  beforeAll(() => {
    execFileSync('gdal_translate', ['-q', '-srcwin', '0', '0', '600', '500', scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'), scene]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the file, geojsonseq on stdout and the run report have the same polygons', async () => {
    const out = join(dir, 'water.geojson');
    const report = join(dir, 'run.html');
    const toFile = await runCli(['segment', scene, '-o', out, '--report', report, '--model', 'waterline-unet-v1']);
    expect(toFile.code, toFile.stderr).toBe(0);
    const fc = JSON.parse(readFileSync(out, 'utf8')) as WaterCollection;
    expect(fc.waterline.model).toBe('waterline-unet-v1');
    expect(fc.features.length).toBeGreaterThan(5);
    // ids ascending (raster-scan order of each polygon's first pixel), as many as the summary says
    const ids = fc.features.map((f) => f.properties.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(fc.features.every((f) => f.id === f.properties.id)).toBe(true);
    expect(toFile.stderr).toContain(`segment: ${fc.features.length} water polygon(s)`);
    const html = readFileSync(report, 'utf8');
    expect(html).toContain(`data-count="${fc.features.length}"`);
    const area = fc.features.reduce((s, f) => s + f.properties.area_m2, 0);
    expect(Number(/data-m2="([\d.]+)"/.exec(html)![1])).toBeCloseTo(area, 0);
    // no spill or partial file left beside the output
    expect(readdirSync(dir).sort()).toEqual(['ottawa-crop.tif', 'run.html', 'water.geojson']);

    const toStdout = await runCli(['segment', scene, '-o', '-', '--format', 'geojsonseq', '--model', 'waterline-unet-v1']);
    expect(toStdout.code, toStdout.stderr).toBe(0);
    const seq = toStdout.stdout.split('\x1e').filter(Boolean).map((t) => JSON.parse(t));
    expect(seq).toEqual(fc.features);
    expect(toStdout.stdout).toBe(fc.features.map((f) => `\x1e${JSON.stringify(f)}\n`).join(''));
  });
});
