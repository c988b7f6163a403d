/**
 * Tile reading and preparation: Waterline (openScene windowed reads + the scene stretch → padded 224 px RGB
 * model tiles, `createTileSource().readTile` in grid order, as `segment` reads them) vs GDAL doing the same
 * job in one /usr/bin/python3 process (osgeo.gdal + numpy, timed inside it): open, read the same ≤512 px
 * stretch sample and take its 2nd/98th percentiles, then per grid window `Dataset.ReadAsArray` of the chosen
 * bands, the dataset mask where there is one, a lookup-table stretch and the padded 224² RGB + validity
 * arrays. GDAL runs with its defaults (64 MiB block cache, one decoding thread).
 *
 * Scenes: the real shared COGs (small: the Korea JPEG has 36 tiles, so the one-time open + stretch weighs
 * a lot), plus synthetic 4096² 3-band Byte RGB COGs made at bench time — the Korea aerial scene upsampled 4x
 * (bilinear) by gdal_translate and written by GDAL's COG driver as DEFLATE, LZW and JPEG (YCbCr), 512 px
 * blocks with overviews, 484 tiles each — cached in $TMPDIR/waterline-bench-scenes (about 75 MB).
 * Three rows per scene: end to end, per-tile throughput after setup, and the one-time setup (open + scene
 * stretch) on its own, each best of ROUNDS; the rounds alternate ours / GDAL (one python3 process per round,
 * timed inside it) so that both sides meet the same load on a shared machine. WATERLINE_BENCH_TILES_SCENES
 * (comma-separated name parts, e.g. `lzw,ottawa`) picks some scenes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './run.ts';
import { cachedBenchFile, sharedScenesDir } from './benchScenes.ts';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { createTileSource } from '../src/pipeline/tileSource.ts';

const REAL_SCENES = ['landsat8-ottawa-rgb16-utm18-cog.tif', 'naip-dakota-2009-rgbn-cog.tif', 'aerial-korea-nowater-3857-cog.tif', 'spot-chicago-pan-stateplane-ft.tif'];
const SYNTHETIC_SIZE = 4096;
const SYNTHETIC_COMPRESSIONS = ['DEFLATE', 'LZW', 'JPEG'];
const ROUNDS = 3;

/** A 4096² RGB COG from the Korea aerial scene (upsampled 4x, bilinear), made once and then reused. */
export function syntheticRgbCog(compression: string): string {
  return cachedBenchFile(`korea-rgb-${SYNTHETIC_SIZE}-${compression.toLowerCase()}.tif`, (part) => execFileSync('gdal_translate', [
    '-q', '-b', '1', '-b', '2', '-b', '3', '-mask', 'none', '-outsize', String(SYNTHETIC_SIZE), String(SYNTHETIC_SIZE), '-r', 'bilinear',
    '-of', 'COG', '-co', `COMPRESS=${compression}`, join(sharedScenesDir, 'aerial-korea-nowater-3857-cog.tif'), part,
  ]));
}

const GDAL_SCRIPT = `
import sys, json, time
import numpy as np
from osgeo import gdal
gdal.UseExceptions()
path, bands, rgb_bands, windows, rounds, tile = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
gdal.SetCacheMax(64 * 1024 * 1024)

def luts_from(sample, valid, byte):
    luts = []
    for k in range(len(bands)):
        v = sample[k][valid]
        lo, hi = np.percentile(v, [2, 98]) if v.size else (0, 255)
        if byte and hi - lo >= 200: lo, hi = 0, 255
        if hi <= lo: hi = lo + 1
        x = np.arange(256 if byte else 65536, dtype=np.float64)
        luts.append(np.clip(np.round((x - lo) * 255 / (hi - lo)), 0, 255).astype(np.uint8))
    return luts

best = {'total': 1e9, 'setup': 1e9, 'tiles': 1e9}
for _ in range(rounds):
    t0 = time.perf_counter()
    d = gdal.Open(path)
    w, h = d.RasterXSize, d.RasterYSize
    b0 = d.GetRasterBand(bands[0])
    byte = b0.DataType == gdal.GDT_Byte
    masked = not (b0.GetMaskFlags() & gdal.GMF_ALL_VALID)
    s = min(1.0, 512.0 / max(w, h))
    sw, sh = max(1, round(w * s)), max(1, round(h * s))
    sample = d.ReadAsArray(0, 0, w, h, buf_xsize=sw, buf_ysize=sh, band_list=bands).reshape(len(bands), -1)
    valid = (b0.GetMaskBand().ReadAsArray(0, 0, w, h, buf_xsize=sw, buf_ysize=sh).reshape(-1) != 0) if masked else np.ones(sw * sh, bool)
    luts = luts_from(sample, valid, byte)
    t1 = time.perf_counter()
    for (x, y, ww, hh) in windows:
        a = d.ReadAsArray(x, y, ww, hh, band_list=bands).reshape(len(bands), hh, ww)
        rgb = np.zeros((tile, tile, 3), np.uint8)
        ok = np.zeros((tile, tile), np.uint8)
        v = (b0.GetMaskBand().ReadAsArray(x, y, ww, hh) != 0) if masked else np.ones((hh, ww), bool)
        ok[:hh, :ww] = v
        for c, b in enumerate(rgb_bands):
            k = bands.index(b)
            rgb[:hh, :ww, c] = np.where(v, luts[k][a[k]], 0)
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

async function benchScene(file: string, name: string): Promise<BenchResult[]> {
  const ours: Timing = { total: Infinity, setup: Infinity, tiles: Infinity };
  let windows: number[][] = [];
  let bands: number[] = [];
  let rgbBands: number[] = [];
  let tileSize = 224;
  let gdal: Timing | undefined = { total: Infinity, setup: Infinity, tiles: Infinity };
  // Rounds alternate between the two sides so that both see the same moments of a shared machine.
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
    rgbBands = source.bands.length === 1 ? [source.bands[0], source.bands[0], source.bands[0]] : source.bands;
    tileSize = source.grid.tileSize;
    if (!gdal) continue;
    try {
      const g = JSON.parse(execFileSync('/usr/bin/python3', ['-c', GDAL_SCRIPT, file, JSON.stringify(bands), JSON.stringify(rgbBands), JSON.stringify(windows), '1', String(tileSize)]).toString()) as Timing;
      gdal = { total: Math.min(gdal.total, g.total), setup: Math.min(gdal.setup, g.setup), tiles: Math.min(gdal.tiles, g.tiles) };
    } catch (err) {
      process.stderr.write(`  GDAL reference failed for ${name}: ${(err as Error).message}\n`);
      gdal = undefined;
    }
  }
  const label = `${name} (${windows.length} tiles)`;
  return [
    {
      bench: 'tiles',
      metric: `end-to-end tiles/s ${label}`,
      ours: windows.length / ours.total,
      reference: gdal ? windows.length / gdal.total : undefined,
      referenceName: 'GDAL',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: 'open + scene stretch + every model tile (GDAL: open + the same sample read + percentiles + every window read, stretched into a padded RGB tile)',
    },
    {
      bench: 'tiles',
      metric: `per-tile tiles/s ${label}`,
      ours: windows.length / ours.tiles,
      reference: gdal ? windows.length / gdal.tiles : undefined,
      referenceName: 'GDAL',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: 'readTile loop after open + stretch; GDAL: ReadAsArray + mask + LUT stretch into a padded RGB tile per window',
    },
    {
      bench: 'tiles',
      metric: `one-time open + stretch ${label}`,
      ours: ours.setup * 1000,
      reference: gdal ? gdal.setup * 1000 : undefined,
      referenceName: 'GDAL open + sample + percentiles',
      unit: 'ms',
      higherIsBetter: false,
    },
  ];
}

export default async function bench(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const only = process.env.WATERLINE_BENCH_TILES_SCENES?.split(',');
  const scenes: [string, string][] = [
    ...SYNTHETIC_COMPRESSIONS.map((c): [string, string] => [`korea-rgb-${SYNTHETIC_SIZE}-${c.toLowerCase()}`, c]),
    ...REAL_SCENES.map((s): [string, string] => [s.replace(/\.tif$/, ''), s]),
  ];
  for (const [name, what] of scenes) {
    if (only && !only.some((o) => name.includes(o))) continue;
    const file = what.endsWith('.tif') ? join(sharedScenesDir, what) : syntheticRgbCog(what);
    if (!existsSync(file)) continue;
    rows.push(...(await benchScene(file, name)));
  }
  return rows;
}
