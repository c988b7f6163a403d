/**
 * Vectorization speed: `waterline vectorize` (read mask + trace + project to WGS84 + write GeoJSON) vs
 * GDAL doing the same job in the same run (gdal_polygonize.py to FlatGeobuf + ogr2ogr -t_srs EPSG:4326 to
 * GeoJSON). Masks are thresholded from real scenes at bench time (native size and upsampled 4x).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { writeWaterGeoJson } from '../src/adapters/geojson/writeWaterGeoJson.ts';
import { vectorizeRaster } from '../src/pipeline/vectorizeRaster.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenesDir = join(process.env.WATERLINE_SHARED_DIR ?? resolve(here, '..', '..', 'shared'), 'data', 'scenes');
const makeMask = join(here, '..', 'test', 'fixtures', 'vector', 'make_mask.py');
const PY = '/usr/bin/python3';

function seconds(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(scenesDir)) throw new Error(`shared scenes not found at ${scenesDir}`);
  const dir = mkdtempSync(join(tmpdir(), 'waterline-bench-vec-'));
  const rows: BenchResult[] = [];
  try {
    const base = join(dir, 'ottawa.tif');
    execFileSync(PY, [makeMask, join(scenesDir, 'landsat8-ottawa-rgb16-utm18-cog.tif'), base, 'binary', '25']);
    const big = join(dir, 'ottawa-4x.tif');
    execFileSync('gdal_translate', ['-q', '-outsize', '400%', '400%', '-r', 'nearest', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', base, big]);
    for (const [name, mask] of [['ottawa mask 779x790', base], ['ottawa mask 3116x3160', big]] as const) {
      let best = Infinity;
      let polygons = 0;
      for (let round = 0; round < 2; round++) {
        const t0 = performance.now();
        const fc = await vectorizeRaster(mask, { value: 1 });
        await writeWaterGeoJson(join(dir, 'ours.geojson'), fc, 'geojson');
        best = Math.min(best, (performance.now() - t0) / 1000);
        polygons = fc.features.length;
      }
      let ref = Infinity;
      for (let round = 0; round < 2; round++) {
        const fgb = join(dir, `gdal-${round}.fgb`);
        const out = join(dir, `gdal-${round}.geojson`);
        ref = Math.min(
          ref,
          seconds(() => {
            execFileSync(PY, ['/usr/bin/gdal_polygonize.py', '-q', '-mask', mask, mask, '-b', '1', '-f', 'FlatGeobuf', fgb, 'water', 'DN']);
            execFileSync('ogr2ogr', ['-t_srs', 'EPSG:4326', '-f', 'GeoJSON', out, fgb]);
          }),
        );
      }
      rows.push({
        bench: 'vectorize',
        metric: `mask → WGS84 GeoJSON, ${name}`,
        ours: best,
        reference: ref,
        referenceName: 'gdal_polygonize+ogr2ogr',
        unit: 's',
        higherIsBetter: false,
        note: `${polygons} polygons, best of 2`,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
