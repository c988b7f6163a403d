/**
 * Tile extraction throughput: Waterline (geotiff.js windowed reads + scene stretch → 224 px model tiles)
 * vs GDAL (one /usr/bin/python3 process, osgeo.gdal ReadAsArray over the same windows, timed inside it).
 * Three rows per scene: end to end, per-tile throughput after setup, and the one-time setup (open +
 * scene stretch) on its own, each best of ROUNDS.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { createTileSource } from '../src/pipeline/tileSource.ts';

const scenesDir = join(process.env.WATERLINE_SHARED_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared'), 'data', 'scenes');
const SCENES = ['landsat8-ottawa-rgb16-utm18-cog.tif', 'naip-dakota-2009-rgbn-cog.tif', 'aerial-korea-nowater-3857-cog.tif', 'spot-chicago-pan-stateplane-ft.tif'];
const ROUNDS = 3;

const GDAL_SCRIPT = `
import sys, json, time
from osgeo import gdal
path, bands, windows, rounds = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
gdal.SetCacheMax(64 * 1024 * 1024)
best = {'total': 1e9, 'setup': 1e9, 'tiles': 1e9}
for _ in range(rounds):
    t0 = time.perf_counter()
    d = gdal.Open(path)
    w, h = d.RasterXSize, d.RasterYSize
    s = min(1.0, 512.0 / max(w, h))
    for b in bands:
        d.GetRasterBand(b).ReadAsArray(0, 0, w, h, buf_xsize=max(1, round(w * s)), buf_ysize=max(1, round(h * s)))
    t1 = time.perf_counter()
    for (x, y, ww, hh) in windows:
        for b in bands:
            d.GetRasterBand(b).ReadAsArray(x, y, ww, hh)
    t2 = time.perf_counter()
    d = None
    best = {'total': min(best['total'], t2 - t0), 'setup': min(best['setup'], t1 - t0), 'tiles': min(best['tiles'], t2 - t1)}
print(json.dumps(best))
`;

interface Timing {
  /** open + stretch + every tile. */
  total: number;
  /** open + scene stretch (one-time cost). */
  setup: number;
  /** every tile, after setup. */
  tiles: number;
}

export default async function bench(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const name of SCENES) {
    const file = join(scenesDir, name);
    if (!existsSync(file)) continue;
    const ours: Timing = { total: Infinity, setup: Infinity, tiles: Infinity };
    let windows: number[][] = [];
    let bands: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const scene = await openScene(file);
      const source = await createTileSource(scene);
      const t1 = performance.now();
      for (const tile of source.grid.tiles) await source.readTile(tile);
      const t2 = performance.now();
      await scene.close();
      ours.total = Math.min(ours.total, (t2 - t0) / 1000);
      ours.setup = Math.min(ours.setup, (t1 - t0) / 1000);
      ours.tiles = Math.min(ours.tiles, (t2 - t1) / 1000);
      windows = source.grid.tiles.map((t) => [t.window.x, t.window.y, t.window.width, t.window.height]);
      bands = [...new Set(source.bands)];
    }
    let gdal: Timing | undefined;
    try {
      gdal = JSON.parse(execFileSync('/usr/bin/python3', ['-c', GDAL_SCRIPT, file, JSON.stringify(bands), JSON.stringify(windows), String(ROUNDS)]).toString()) as Timing;
    } catch {
      gdal = undefined;
    }
    const label = `${name.replace(/\.tif$/, '')} (${windows.length} tiles)`;
    rows.push({
      bench: 'tiles',
      metric: `end-to-end tiles/s ${label}`,
      ours: windows.length / ours.total,
      reference: gdal ? windows.length / gdal.total : undefined,
      referenceName: 'GDAL ReadAsArray',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: 'open + scene stretch + tiles; GDAL: open + the same ≤512 px stretch sample read + the same windows (no RGB build)',
    });
    rows.push({
      bench: 'tiles',
      metric: `per-tile tiles/s ${label}`,
      ours: windows.length / ours.tiles,
      reference: gdal ? windows.length / gdal.tiles : undefined,
      referenceName: 'GDAL ReadAsArray',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: 'readTile loop after open + stretch (block cache as the pipeline sees it); GDAL: the same windows after its sample read',
    });
    rows.push({
      bench: 'tiles',
      metric: `one-time open + stretch ${label}`,
      ours: ours.setup * 1000,
      reference: gdal ? gdal.setup * 1000 : undefined,
      referenceName: 'GDAL open + sample read',
      unit: 'ms',
      higherIsBetter: false,
    });
  }
  return rows;
}
