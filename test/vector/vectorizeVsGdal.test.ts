/**
 * The vectorizer against gdal_polygonize + ogr2ogr -t_srs EPSG:4326 on masks thresholded from real
 * scenes (UTM, state-plane feet, state-plane without EPSG code, cylindrical equal-area): same polygon
 * count, total geodesic area within 0.1%, simplification off.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { area as turfArea, booleanValid } from '@turf/turf';
import type { FeatureCollection } from 'geojson';
import { afterAll, expect, it } from 'vitest';
import { describeShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { openTempSpillFileCount } from '../../src/adapters/raster/tempSpillFile.ts';
import type { WaterFeature } from '../../src/core/vector/toGeoJson.ts';
import { vectorizeRasterFeatures } from '../../src/pipeline/vectorizeRaster.ts';

const PY = '/usr/bin/python3';
const makeMask = join(repoRoot, 'test', 'fixtures', 'vector', 'make_mask.py');

/** All the water features of a mask raster (`waterline vectorize`'s streamed features, collected). */
async function vectorizeRaster(mask: string, options: { value: number }): Promise<{ features: WaterFeature[] }> {
  return { features: [...(await vectorizeRasterFeatures(mask, options)).features] };
}

function gdalReference(mask: string, dir: string, where = 'DN=1', maskSelf = true): FeatureCollection {
  // FlatGeobuf keeps CRSs without an EPSG code (GeoJSON would drop them and ogr2ogr would not reproject)
  const native = join(dir, `${Math.random().toString(36).slice(2)}-native.fgb`);
  const wgs84 = native.replace('-native.fgb', '-4326.geojson');
  // with the mask as its own validity mask, gdal_polygonize only emits the non-zero (water) regions
  execFileSync(PY, ['/usr/bin/gdal_polygonize.py', '-q', ...(maskSelf ? ['-mask', mask] : []), mask, '-b', '1', '-f', 'FlatGeobuf', native, 'water', 'DN']);
  execFileSync('ogr2ogr', ['-t_srs', 'EPSG:4326', '-where', where, '-f', 'GeoJSON', wgs84, native]);
  return JSON.parse(readFileSync(wgs84, 'utf8')) as FeatureCollection;
}

describeShared('vectorize vs gdal_polygonize (real scene masks)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-vec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { scene: 'landsat8-ottawa-rgb16-utm18-cog.tif', pct: 25 },
    { scene: 'spot-chicago-pan-stateplane-ft.tif', pct: 30 },
    { scene: 'atlanta-pan-stateplane-collar.tif', pct: 20 },
    { scene: 'riverside-pan-equal-area.tif', pct: 30 },
  ];
  for (const { scene, pct } of cases) {
    it(`${scene}: same polygon count and total area within 0.1%`, async () => {
      const mask = join(dir, `${scene}.mask.tif`);
      execFileSync(PY, [makeMask, scenePath(scene), mask, 'binary', String(pct)]);
      const ours = await vectorizeRaster(mask, { value: 1 });
      const ref = gdalReference(mask, dir);
      expect(ours.features.length).toBeGreaterThan(10);
      expect(ours.features.length).toBe(ref.features.length);
      const oursArea = ours.features.reduce((s, f) => s + turfArea(f), 0);
      const refArea = ref.features.reduce((s, f) => s + turfArea(f), 0);
      expect(Math.abs(oursArea / refArea - 1)).toBeLessThan(0.001);
      // (validity is proven by the fast-check properties; spot-check the small polygons here, booleanValid is O(n²))
      for (const f of ours.features.slice(0, 200)) if (JSON.stringify(f.geometry).length < 4000) expect(booleanValid(f.geometry)).toBe(true);
    }, 60_000);
  }

  it('a mask kept in a temporary file (maskMemoryBytes 0) gives the same features, byte for byte, as one in memory, and leaves no file', async () => {
    const mask = join(dir, 'spilled.mask.tif');
    execFileSync(PY, [makeMask, scenePath('spot-chicago-pan-stateplane-ft.tif'), mask, 'binary', '30']);
    const spillDir = mkdtempSync(join(dir, 'spill-'));
    const now = () => new Date('2026-11-29T00:00:00Z');
    const before = openTempSpillFileCount();
    const inMemory = await vectorizeRasterFeatures(mask, { value: 1, now });
    expect(openTempSpillFileCount()).toBe(before);
    let openWhileReading = 0;
    const onProgress = () => void (openWhileReading = Math.max(openWhileReading, openTempSpillFileCount() - before));
    const spilled = await vectorizeRasterFeatures(mask, { value: 1, now, maskMemoryBytes: 0, spillDir, onProgress });
    expect(openWhileReading).toBe(1);
    expect(openTempSpillFileCount()).toBe(before); // the mask's file was used for tracing and is closed already
    const a = [...inMemory.features].map((f) => JSON.stringify(f));
    const b = [...spilled.features].map((f) => JSON.stringify(f));
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(spilled.waterline).toEqual(inMemory.waterline);
    expect(readdirSync(spillDir)).toEqual([]);
  }, 60_000);

  it('flood labels -1/0/1: --value 1 matches gdal on DN=1', async () => {
    const mask = join(dir, 'flood.tif');
    execFileSync(PY, [makeMask, scenePath('landsat8-grenada-rgb16-utm20.tif'), mask, 'flood', '50']);
    const ours = await vectorizeRaster(mask, { value: 1 });
    const ref = gdalReference(mask, dir, 'DN=1', false);
    expect(ours.features.length).toBe(ref.features.length);
    const oursArea = ours.features.reduce((s, f) => s + turfArea(f), 0);
    const refArea = ref.features.reduce((s, f) => s + turfArea(f), 0);
    expect(Math.abs(oursArea / refArea - 1)).toBeLessThan(0.001);
  }, 60_000);
});
