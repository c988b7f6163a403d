/** Error hints name options that exist and values that would be accepted (issue 18, item 8). */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { syntheticTiff } from '../raster/syntheticTiff.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-hints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('number options', () => {
  it('an out-of-range --threshold states the range and suggests no out-of-place value', async () => {
    const r = await runCli(['segment', 'x.tif', '-o', join(dir, 'w.geojson'), '--threshold', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --threshold "2" is not a number between 0 and 1\n');
  });
});

describeShared('tiling hints', () => {
  it('segment --overlap too large names --overlap and the accepted range, not a --size segment does not have', async () => {
    const r = await runCli(['segment', scenePath('spot-chicago-pan-stateplane-ft.tif'), '-o', join(dir, 'w.geojson'), '--overlap', '200', '--model', 'waterline-unet', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*overlap must be .* got 200 \(use an --overlap of 0 to 111 px\)\n$/);
    expect(r.stderr).not.toContain('--size');
  });

  it('segment --flip-views of a count that is no symmetry group names the counts it takes, and writes nothing', async () => {
    const out = join(dir, 'flips.geojson');
    const r = await runCli(['segment', scenePath('spot-chicago-pan-stateplane-ft.tif'), '-o', out, '--flip-views', '3', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --flip-views "3" is not one of 1, 2, 4 (use --flip-views 2 (each tile and its mirror image) or 4; 1 turns it off)\n');
    expect(existsSync(out)).toBe(false);
  });
});

describeShared('retired models', () => {
  it('segment --model of a retired built-in names its successor and how to restore the old weights, and writes nothing', async () => {
    const out = join(dir, 'retired.geojson');
    const r = await runCli(['segment', scenePath('spot-chicago-pan-stateplane-ft.tif'), '-o', out, '--model', 'waterline-unet7', '--device', 'cpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: model "waterline-unet7" was retired in round 2 \(no longer shipped\); waterline-unet8 replaces it .*\(use waterline-unet8, or waterline-unet for the default; .*git archive [0-9a-f]{12} models\/unet7 \| tar -x -C old\) and pass old\/models\/unet7 as the model\)\n$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('unknown model names', () => {
  it('segment --model of a typo lists the built-in names', async () => {
    const scene = join(dir, 'tiny.tif');
    writeFileSync(scene, syntheticTiff());
    const r = await runCli(['segment', scene, '-o', join(dir, 'typo.geojson'), '--model', 'waterline-unet12']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: model "waterline-unet12" is not a built-in model, a directory or a name in the models cache .*\(built-in: auto, waterline-unet, .*waterline-spectral; /);
  });

  it('serve --model of a typo stops at start-up with one line instead of serving a /healthz that says ok', async () => {
    const r = await runCli(['serve', '--data-dir', join(dir, 'data'), '--port', '0', '--model', 'foo']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: model "foo" is not a built-in model/);
    expect(r.stdout).toBe('');
  });
});

describe('output names of another format', () => {
  it('segment -o water.kml refuses before reading anything and says how to get KML', async () => {
    const out = join(dir, 'water.kml');
    const r = await runCli(['segment', 'missing.tif', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: -o ${out}: waterline writes GeoJSON, not KML (write ${join(dir, 'water.geojson')} and convert it with GDAL: ogr2ogr ${out} ${join(dir, 'water.geojson')})\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('GeoJSON names and stdout pass', async () => {
    const { checkWaterOutputPath } = await import('../../src/adapters/geojson/writeWaterGeoJson.ts');
    for (const ok of ['w.geojson', 'w.json', 'w.geojsons', 'w', '-', 'dir.v2/w', 'W.GeoJSON']) expect(() => checkWaterOutputPath(ok, 'geojson')).not.toThrow();
    expect(() => checkWaterOutputPath('w.SHP', 'geojsonseq')).toThrow(/GeoJSON text sequences, not a shapefile/);
  });
});

describe('vectorize with nothing to vectorize', () => {
  it('says which rule found nothing and which options change it', async () => {
    const scene = join(dir, 'grey.tif');
    const tiff = syntheticTiff();
    tiff.fill(100, tiff.length - 16 * 16); // every pixel 100: no pixel equals 1
    writeFileSync(scene, tiff);
    const r = await runCli(['vectorize', scene, '-o', join(dir, 'none.geojson')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/vectorize: 0 polygon\(s\)/);
    expect(r.stderr).toContain('no water found where value == 1 in band 1: for a mask whose water has another value pass --value N');
    const hit = await runCli(['vectorize', scene, '-o', join(dir, 'all.geojson'), '--value', '100']);
    expect(hit.stderr).toMatch(/vectorize: 1 polygon\(s\)/);
    expect(hit.stderr).not.toContain('no water found');
  });
});
