/**
 * Pipeline overhead: `segmentScene` (read tiles + stretch + stitch overlapping tiles + vectorize) with a
 * trivial threshold model, so the figure is Waterline's own cost per scene, vs GDAL doing the
 * equivalent whole-scene job in the same run (osgeo.gdal read + numpy threshold + gdal_polygonize +
 * ogr2ogr to WGS84 GeoJSON). Also reports the peak RSS of this process. The scene is the Chicago SPOT
 * pan scene upsampled to 4000 x 4000 px (synthesized at bench time).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './run.ts';
import { sharedScenesDir } from './benchScenes.ts';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { segmentScene } from '../src/pipeline/segmentScene.ts';
import { thresholdModel } from './thresholdModel.ts';

const SIZE = 4000;

const GDAL_SCRIPT = `
import sys, subprocess, time
import numpy as np
from osgeo import gdal
src, mask, fgb, out = sys.argv[1:5]
t0 = time.perf_counter()
d = gdal.Open(src)
a = d.GetRasterBand(1).ReadAsArray()
lo, hi = np.percentile(a, [2, 98])
m = ((a.astype(np.float32) - lo) / max(hi - lo, 1) * 255 < 90).astype(np.uint8)
o = gdal.GetDriverByName('GTiff').Create(mask, d.RasterXSize, d.RasterYSize, 1, gdal.GDT_Byte)
o.SetGeoTransform(d.GetGeoTransform()); o.SetProjection(d.GetProjection()); o.GetRasterBand(1).WriteArray(m); o = None
subprocess.check_call(['/usr/bin/python3', '/usr/bin/gdal_polygonize.py', '-q', '-mask', mask, mask, '-b', '1', '-f', 'FlatGeobuf', fgb, 'water', 'DN'])
subprocess.check_call(['ogr2ogr', '-t_srs', 'EPSG:4326', '-f', 'GeoJSON', out, fgb])
print(time.perf_counter() - t0)
`;

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(sharedScenesDir)) throw new Error(`shared scenes not found at ${sharedScenesDir}`);
  const dir = mkdtempSync(join(tmpdir(), 'waterline-bench-seg-'));
  try {
    const scenePath = join(dir, 'chicago-4k.tif');
    execFileSync('gdal_translate', ['-q', '-outsize', String(SIZE), String(SIZE), '-r', 'bilinear', '-co', 'TILED=YES', join(sharedScenesDir, 'spot-chicago-pan-stateplane-ft.tif'), scenePath]);
    const scene = await openScene(scenePath);
    const t0 = performance.now();
    let summary;
    try {
      ({ summary } = await segmentScene(scene, thresholdModel, { batch: 16, overlap: 32 }));
    } finally {
      await scene.close();
    }
    const ours = (performance.now() - t0) / 1000;
    const ref = Number(execFileSync('/usr/bin/python3', ['-c', GDAL_SCRIPT, scenePath, join(dir, 'mask.tif'), join(dir, 'm.fgb'), join(dir, 'm.geojson')]).toString().trim());
    return [
      {
        bench: 'segment',
        metric: `scene → polygons, ${SIZE}x${SIZE} px, threshold model`,
        ours,
        reference: ref,
        referenceName: 'GDAL read+threshold+polygonize+ogr2ogr',
        unit: 's',
        higherIsBetter: false,
        note: `${summary.tilesTotal} tiles (overlap 32, blended), ${summary.polygons} polygons, ${summary.tilesPerSecond.toFixed(0)} tiles/s`,
      },
      {
        bench: 'segment',
        metric: `peak RSS after the ${SIZE}x${SIZE} run`,
        ours: process.resourceUsage().maxRSS / 1024,
        unit: 'MiB',
        higherIsBetter: false,
        note: 'whole bench process',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
