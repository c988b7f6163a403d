/**
 * Tile extraction throughput: Waterline (geotiff.js windowed reads + scene stretch → 224 px model tiles)
 * vs GDAL (one /usr/bin/python3 process, osgeo.gdal ReadAsArray over the same windows, timed inside it).
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
best = 1e9
for _ in range(rounds):
    t = time.perf_counter()
    d = gdal.Open(path)
    for (x, y, w, h) in windows:
        for b in bands:
            d.GetRasterBand(b).ReadAsArray(x, y, w, h)
    d = None
    best = min(best, time.perf_counter() - t)
print(best)
`;

export default async function bench(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const name of SCENES) {
    const file = join(scenesDir, name);
    if (!existsSync(file)) continue;
    let best = Infinity;
    let windows: number[][] = [];
    let bands: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const scene = await openScene(file);
      const source = await createTileSource(scene);
      for (const tile of source.grid.tiles) await source.readTile(tile);
      await scene.close();
      best = Math.min(best, (performance.now() - t0) / 1000);
      windows = source.grid.tiles.map((t) => [t.window.x, t.window.y, t.window.width, t.window.height]);
      bands = [...new Set(source.bands)];
    }
    let gdalSeconds: number | undefined;
    try {
      gdalSeconds = Number(execFileSync('/usr/bin/python3', ['-c', GDAL_SCRIPT, file, JSON.stringify(bands), JSON.stringify(windows), String(ROUNDS)]).toString().trim());
    } catch {
      gdalSeconds = undefined;
    }
    rows.push({
      bench: 'tiles',
      metric: `tiles/s ${name.replace(/\.tif$/, '')} (${windows.length} tiles)`,
      ours: windows.length / best,
      reference: gdalSeconds ? windows.length / gdalSeconds : undefined,
      referenceName: 'GDAL ReadAsArray',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: 'ours includes open + scene stretch + RGB tile build; GDAL only reads the same windows',
    });
  }
  return rows;
}
