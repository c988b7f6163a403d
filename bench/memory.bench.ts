/**
 * Memory flat in scene area: `segmentScene` (read, stretch, a cheap deterministic threshold segmenter,
 * stitch, vectorize) on synthetic 5000² and 20000² single-band scenes (the Chicago SPOT pan scene
 * upsampled bilinearly by gdal_translate at bench time, tiled + DEFLATE), each in a fresh child process
 * (bench/segmentMemoryChild.ts) so its peak RSS is that run's alone; features are streamed to a GeoJSON file
 * as `waterline segment` writes them. The 20000² figure's reference is the
 * 5000² run in the same bench: the target is a ratio ≤ 1.25 (and < 1 GiB). Scenes are cached in
 * $TMPDIR/waterline-bench-scenes (about 125 MB) between runs; WATERLINE_BENCH_MEMORY_SIZES=5000,10000 picks
 * other sizes (first = reference).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const scenesDir = join(process.env.WATERLINE_SHARED_DIR ?? resolve(here, '..', '..', 'shared'), 'data', 'scenes');
const SIZES = (process.env.WATERLINE_BENCH_MEMORY_SIZES ?? '5000,20000').split(',').map(Number);

interface ChildRun {
  seconds: number;
  maxRssMiB: number;
  polygons: number;
  tiles: number;
  waterAreaM2: number;
  outputMiB: number;
}

/** The synthetic scene of `size`² px (made once, then reused). */
export function syntheticScene(size: number): string {
  const dir = join(tmpdir(), 'waterline-bench-scenes');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `chicago-${size}.tif`);
  if (!existsSync(path)) {
    const part = `${path}.part`;
    execFileSync('gdal_translate', ['-q', '-outsize', String(size), String(size), '-r', 'bilinear', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'BIGTIFF=IF_SAFER', join(scenesDir, 'spot-chicago-pan-stateplane-ft.tif'), part]);
    execFileSync('mv', [part, path]);
  }
  return path;
}

function runChild(scene: string): ChildRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'segmentMemoryChild.ts'), scene], { maxBuffer: 1 << 20 }).toString();
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(scenesDir)) throw new Error(`shared scenes not found at ${scenesDir}`);
  const runs = SIZES.map((size) => ({ size, run: runChild(syntheticScene(size)) }));
  const [ref, ...rest] = runs;
  const rows: BenchResult[] = [
    {
      bench: 'memory',
      metric: `segment peak RSS, ${ref.size}² scene`,
      ours: ref.run.maxRssMiB,
      unit: 'MiB',
      higherIsBetter: false,
      note: `${ref.run.tiles} tiles, ${ref.run.polygons} polygons (${ref.run.outputMiB.toFixed(0)} MiB of GeoJSON), ${ref.run.seconds.toFixed(1)} s (reference of the rows below)`,
    },
  ];
  for (const r of rest) {
    rows.push({
      bench: 'memory',
      metric: `segment peak RSS, ${r.size}² scene (${((r.size / ref.size) ** 2).toFixed(0)}x the pixels)`,
      ours: r.run.maxRssMiB,
      reference: ref.run.maxRssMiB,
      referenceName: `the ${ref.size}² run`,
      unit: 'MiB',
      higherIsBetter: false,
      note: `target: ratio ≥ 0.8 (within 25 %) and < 1024 MiB; ${r.run.tiles} tiles, ${r.run.polygons} polygons (${r.run.outputMiB.toFixed(0)} MiB of GeoJSON), ${r.run.seconds.toFixed(1)} s`,
    });
  }
  return rows;
}
