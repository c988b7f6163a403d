import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { area as turfArea } from '@turf/turf';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';

const PY = '/usr/bin/python3';
const makeMask = join(repoRoot, 'test', 'fixtures', 'vector', 'make_mask.py');

describeShared('waterline vectorize', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-vcli-'));
  const binary = join(dir, 'riverside.tif');
  const ndwi = join(dir, 'riverside-ndwi.tif');
  beforeAll(() => {
    execFileSync(PY, [makeMask, scenePath('riverside-pan-equal-area.tif'), binary, 'binary', '30']);
    execFileSync(PY, [makeMask, scenePath('riverside-pan-equal-area.tif'), ndwi, 'ndwi', '0']);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a FeatureCollection with provenance and prints a summary', async () => {
    const out = join(dir, 'out.geojson');
    const r = await runCli(['vectorize', binary, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const fc = JSON.parse(readFileSync(out, 'utf8')) as WaterCollection;
    expect(fc.features.length).toBeGreaterThan(10);
    expect(fc.waterline).toMatchObject({ scene: binary, connectivity: 4, waterRule: 'value == 1' });
    expect(r.stderr).toMatch(new RegExp(`vectorize: ${fc.features.length} polygon\\(s\\)`));
    // stable ids: a second run gives the same ids and geometry
    const again = await runCli(['vectorize', binary, '-o', '-', '--format', 'geojsonseq']);
    const seq = again.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l.slice(1)));
    expect(seq.map((f) => f.id)).toEqual(fc.features.map((f) => f.id));
    expect(seq[3].geometry).toEqual(fc.features[3].geometry);
  });

  it('8-connectivity merges diagonal neighbours; --min-area drops small polygons; --simplify keeps area close', async () => {
    const four = JSON.parse((await runCli(['vectorize', binary, '-o', '-'])).stdout) as WaterCollection;
    const eight = JSON.parse((await runCli(['vectorize', binary, '-o', '-', '--connectivity', '8'])).stdout) as WaterCollection;
    expect(eight.features.length).toBeLessThan(four.features.length);
    const total = (c: WaterCollection) => c.features.reduce((s, f) => s + turfArea(f), 0);
    expect(Math.abs(total(eight) / total(four) - 1)).toBeLessThan(1e-6);
    const big = JSON.parse((await runCli(['vectorize', binary, '-o', '-', '--min-area', '100000'])).stdout) as WaterCollection;
    expect(big.features.every((f) => f.properties.area_m2 >= 100000)).toBe(true);
    expect(big.features.length).toBe(four.features.filter((f) => f.properties.area_m2 >= 100000).length);
    const simple = JSON.parse((await runCli(['vectorize', binary, '-o', '-', '--simplify', '1'])).stdout) as WaterCollection;
    const vertices = (c: WaterCollection) => JSON.stringify(c.features.map((f) => f.geometry)).split('],[').length;
    expect(vertices(simple)).toBeLessThan(vertices(four));
    expect(Math.abs(total(simple) / total(four) - 1)).toBeLessThan(0.05);
  });

  it('--above thresholds a continuous raster like the equivalent binary mask', async () => {
    const r = await runCli(['vectorize', ndwi, '-o', '-', '--above', '0.5']);
    expect(r.code, r.stderr).toBe(0);
    const fc = JSON.parse(r.stdout) as WaterCollection;
    expect(fc.waterline.waterRule).toBe('value > 0.5');
    expect(fc.features.length).toBeGreaterThan(0);
  });

  it('refuses a bad flag and a missing file in one line', async () => {
    const bad = await runCli(['vectorize', binary, '-o', '-', '--connectivity', '6']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: --connectivity 6 must be 4 or 8/);
    const missing = await runCli(['vectorize', join(dir, 'missing.tif'), '-o', '-']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});
