/**
 * Vectorization at scale: `waterline vectorize <mask> -o out.geojson` (a fresh process: read the mask
 * into one bit per pixel, trace in one pass, project to WGS84, measure, write GeoJSON) vs
 * `gdal_polygonize.py` writing GeoJSON (in the mask's own CRS — less work than ours), in the same run,
 * on 9000² and 20000² masks (the Ottawa scene's darkest quarter, nearest-upsampled, so both masks hold
 * the same polygons). Wall time and peak RSS of each process (GNU time), polygon counts and total area of
 * both outputs. Targets: time ratio ≥ 1.0 (not slower), memory ≤ 2x GDAL's, the same polygon count,
 * area within 0.1 %. Masks are cached in $TMPDIR/waterline-bench-scenes.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { cachedBenchFile, sharedScenesDir } from './benchScenes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const makeMask = join(repo, 'test', 'fixtures', 'vector', 'make_mask.py');
const PY = '/usr/bin/python3';
const SIZES = (process.env.WATERLINE_BENCH_VECTORIZE_SIZES ?? '9000,20000').split(',').map(Number);

function mask(size: number): string {
  const base = cachedBenchFile('ottawa-mask.tif', (part) => execFileSync(PY, [makeMask, join(sharedScenesDir, 'landsat8-ottawa-rgb16-utm18-cog.tif'), part, 'binary', '25']));
  return cachedBenchFile(`ottawa-mask-${size}.tif`, (part) => execFileSync('gdal_translate', ['-q', '-outsize', String(size), String(size), '-r', 'nearest', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', base, part]));
}

/** Run a command under GNU time: wall seconds and peak RSS (MiB). */
function timed(cmd: string, args: string[]): { seconds: number; rssMiB: number } {
  const run = spawnSync('/usr/bin/time', ['-f', 'WLTIME %e %M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 24 });
  const out = run.stderr.toString();
  if (run.status !== 0) throw new Error(`${cmd} failed: ${out.slice(-300)}`);
  const m = /WLTIME ([\d.]+) (\d+)/.exec(out);
  if (!m) throw new Error(`no timing from ${cmd}: ${out.slice(-300)}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024 };
}

interface Polys {
  count: number;
  /** Sum of the polygons' areas in pixels. */
  pixels: number;
}

/** GDAL's GeoJSON (mask CRS): polygons with DN=1 and their shoelace area in pixels. */
function gdalPolys(path: string, pixelArea: number): Polys {
  const fc = JSON.parse(readFileSync(path, 'utf8')) as { features: { properties: { DN: number }; geometry: { coordinates: number[][][] } }[] };
  let count = 0, area = 0;
  for (const f of fc.features) {
    if (f.properties.DN !== 1) continue;
    count++;
    for (const ring of f.geometry.coordinates) {
      let a2 = 0;
      for (let k = 0; k + 1 < ring.length; k++) a2 += ring[k][0] * ring[k + 1][1] - ring[k + 1][0] * ring[k][1];
      area += Math.abs(a2 / 2) * (ring === f.geometry.coordinates[0] ? 1 : -1);
    }
  }
  return { count, pixels: area / pixelArea };
}

function ourPolys(path: string): Polys {
  const fc = JSON.parse(readFileSync(path, 'utf8')) as { features: { properties: { pixel_count: number } }[] };
  return { count: fc.features.length, pixels: fc.features.reduce((s, f) => s + f.properties.pixel_count, 0) };
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(sharedScenesDir)) throw new Error(`shared scenes not found at ${sharedScenesDir}`);
  if (!existsSync('/usr/bin/time')) throw new Error('GNU time (/usr/bin/time) is needed for the peak memory figures');
  const dir = mkdtempSync(join(tmpdir(), 'waterline-bench-vec-'));
  // the CLI as installed: its bundle (bin/builtCli.mjs) is built by the first start after src/ changes, not timed here
  execFileSync(process.execPath, [join(repo, 'bin', 'waterline.mjs'), '--version'], { stdio: 'ignore' });
  const rows: BenchResult[] = [];
  try {
    for (const size of SIZES) {
      const m = mask(size);
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', m], { maxBuffer: 1 << 24 }).toString()) as { geoTransform: number[] };
      const pixelArea = Math.abs(info.geoTransform[1] * info.geoTransform[5]);
      const ours = join(dir, `ours-${size}.geojson`);
      const gdal = join(dir, `gdal-${size}.geojson`);
      const rounds = size <= 10000 ? 2 : 1;
      let a = { seconds: Infinity, rssMiB: 0 };
      let b = { seconds: Infinity, rssMiB: 0 };
      for (let r = 0; r < rounds; r++) {
        const x = timed(process.execPath, [join(repo, 'bin', 'waterline.mjs'), 'vectorize', m, '-o', ours]);
        if (x.seconds < a.seconds) a = x;
        rmSync(gdal, { force: true });
        const y = timed(PY, ['/usr/bin/gdal_polygonize.py', '-q', m, '-b', '1', '-mask', m, '-f', 'GeoJSON', gdal, 'water', 'DN']);
        if (y.seconds < b.seconds) b = y;
      }
      const po = ourPolys(ours);
      const pg = gdalPolys(gdal, pixelArea);
      const same = `${po.count} polygons (GDAL ${pg.count}), area ${((po.pixels / pg.pixels - 1) * 100).toFixed(4)} % vs GDAL`;
      rows.push({
        bench: 'vectorize',
        metric: `mask → GeoJSON wall time, ${size}² mask`,
        ours: a.seconds,
        reference: b.seconds,
        referenceName: 'gdal_polygonize.py -f GeoJSON',
        unit: 's',
        higherIsBetter: false,
        note: `${same}; best of ${rounds}; target ≥ 1.0x`,
      });
      rows.push({
        bench: 'vectorize',
        metric: `mask → GeoJSON peak RSS, ${size}² mask`,
        ours: a.rssMiB,
        reference: b.rssMiB,
        referenceName: 'gdal_polygonize.py',
        unit: 'MiB',
        higherIsBetter: false,
        note: 'target ≥ 0.5x (at most twice GDAL\'s memory)',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
