/**
 * End to end: `waterline change` with the real built-in U-Net (the one real-model run of the change tests) on the
 * Landsat Pucallpa pair (1985/2020; bands SWIR1,NIR,Red,Green named with --band-roles), its HTML report, the same
 * change from two `segment` outputs (GeoJSON inputs), and the one-line error for scenes that do not overlap.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import type { ChangeCollection } from '../../src/core/change/changeFeatures.ts';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';
import { waterIndexWarnings } from '../../src/cli/changeCommand.ts';

const A = scenePath('landsat5-pucallpa-1985-4326.tif');
const B = scenePath('landsat8-pucallpa-2020-4326.tif');
const MODEL = ['--model', 'waterline-unet', '--band-roles', 'swir1=1,nir=2,red=3,green=4', '--device', 'cpu'];
const run = (args: string[]) => runCli(args, { env: { ...readEnvConfig({}), modelsDir: join(tmpdir(), 'waterline-no-models') } });
const km2 = (c: ChangeCollection, cls: string) => c.waterline.summary.classes.find((k) => k.class === cls)!.areaKm2;

describeShared('waterline change (real U-Net, Pucallpa 1985 → 2020)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-change-cli-'));
  let fromScenes: ChangeCollection;
  let stderr = '';
  beforeAll(async () => {
    const r = await run(['change', A, B, '-o', join(dir, 'change.geojson'), '--report', join(dir, 'change.html'), ...MODEL]);
    expect(r.stderr).not.toMatch(/^error/m);
    expect(r.code).toBe(0);
    stderr = r.stderr;
    fromScenes = JSON.parse(readFileSync(join(dir, 'change.geojson'), 'utf8'));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes classed polygons, the summary in waterline and the same table on the terminal', () => {
    const { waterline } = fromScenes;
    expect(waterline.kind).toBe('change');
    expect(waterline).toMatchObject({ scene: A, compareTo: B, grid: 'A', threshold: 0.5 });
    expect(String(waterline.resampling)).toMatch(/nearest/);
    expect((waterline.dateA as { model: string }).model).toMatch(/waterline-unet/);
    const classes = new Set(fromScenes.features.map((f) => f.properties.class));
    expect([...classes].sort()).toEqual(['gained', 'lost', 'permanent']); // same grid, both fully valid: no unknown polygon of note
    for (const f of fromScenes.features) expect(f.properties.area_m2).toBeGreaterThan(0);
    // the river migrated: real water lost and gained, some permanent
    expect(km2(fromScenes, 'permanent')).toBeGreaterThan(5);
    expect(km2(fromScenes, 'lost')).toBeGreaterThan(5);
    expect(km2(fromScenes, 'gained')).toBeGreaterThan(5);
    for (const c of waterline.summary.classes) {
      expect(stderr).toContain(`${c.class.padEnd(10)} ${c.areaKm2.toFixed(4).padStart(12)}`);
    }
    expect(stderr).toMatch(/^change: 16\/16 tiles \(100%\)/m); // progress over both dates: 8 + 8 tiles
    expect(stderr).toMatch(/date B/);
  });

  it('writes a self-contained report: three inline PNGs, the area table, no external resource', () => {
    const html = readFileSync(join(dir, 'change.html'), 'utf8');
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(3);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|<link/);
    for (const c of fromScenes.waterline.summary.classes) expect(html).toContain(`${c.class}</td><td>${c.areaKm2.toFixed(4)}</td>`);
    // what a reader needs to read the table: the radius the areas use, and why the polygons can sum to less
    expect(html).toContain('a sphere of radius 6371008.8 m');
    expect(html).toMatch(/The table counts every pixel of each class; the polygons leave out those under \d+(\.\d+)? (m²|ha)/);
    expect(html).not.toContain('class="warn"'); // the band roles were given: both dates used their water index
  });

  it('warns in the report when a date was mapped without its water index', () => {
    const rejected = { waterIndex: { rejected: 'MNDWI of the guessed roles is implausible' } };
    expect(waterIndexWarnings([{ kind: 'scene', provenance: {} }, { kind: 'scene', provenance: rejected }])).toEqual([
      'Date B was mapped by the learned model alone: its water index was not used (MNDWI of the guessed roles is implausible). If the file\'s band roles are known, run again with them (--band-roles) for the index\'s water.',
    ]);
    expect(waterIndexWarnings([{ kind: 'geojson', provenance: rejected }, { kind: 'scene', provenance: {} }])).toEqual([]);
  });

  it('gives the same classes from two segment outputs (GeoJSON inputs rasterized on their scenes\' grids)', async () => {
    for (const [scene, out] of [[A, 'a.geojson'], [B, 'b.geojson']]) {
      const r = await run(['segment', scene, '-o', join(dir, out), '--min-area', '0', ...MODEL]);
      expect(r.code).toBe(0);
    }
    const a: WaterCollection = JSON.parse(readFileSync(join(dir, 'a.geojson'), 'utf8'));
    const r = await run(['change', join(dir, 'a.geojson'), join(dir, 'b.geojson'), '-o', join(dir, 'from-geojson.geojson')]);
    expect(r.code).toBe(0);
    const fromGeoJson: ChangeCollection = JSON.parse(readFileSync(join(dir, 'from-geojson.geojson'), 'utf8'));
    // the polygons trace pixel edges and are rasterized by pixel centre: the same pixels, so the same areas
    for (const c of ['permanent', 'gained', 'lost', 'dry']) expect(Math.abs(km2(fromGeoJson, c) - km2(fromScenes, c))).toBeLessThan(1e-3);
    // and water of A = permanent + lost (both fully valid on one grid: the common valid area is the scene)
    const waterA = a.features.reduce((s, f) => s + f.properties.area_m2, 0) / 1e6;
    expect(Math.abs((km2(fromScenes, 'permanent') + km2(fromScenes, 'lost')) / waterA - 1)).toBeLessThan(0.005);
  }, 180_000);

  it('scenes that do not overlap: exit 1 and one error line', async () => {
    const r = await run(['change', A, scenePath('naip-dakota-2015-rgbn-cog.tif'), '-o', join(dir, 'none.geojson'), ...MODEL]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*landsat5-pucallpa-1985-4326\.tif and .*naip-dakota-2015-rgbn-cog\.tif do not overlap: there is nothing to compare \(pass two images of the same place/);
  });
});
