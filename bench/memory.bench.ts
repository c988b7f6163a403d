/**
 * Memory flat in scene area: `segmentScene` (read, stretch, a cheap deterministic threshold segmenter,
 * stitch, vectorize) on synthetic 5000² and 20000² single-band scenes (the Chicago SPOT pan scene
 * upsampled bilinearly by gdal_translate at bench time, tiled + DEFLATE), each in a fresh child process
 * (bench/segmentMemoryChild.ts) so its peak RSS is that run's alone; features are streamed to a GeoJSON file
 * as `waterline segment` writes them. The 20000² figure's reference is the
 * 5000² run in the same bench: the target is a ratio ≤ 1.25 (and < 1 GiB). Scenes are cached in
 * $TMPDIR/waterline-bench-scenes (about 125 MB) between runs; WATERLINE_BENCH_MEMORY_SIZES=5000,10000 picks
 * other sizes (first = reference).
 *
 * Peak RSS of one run moves by ±40 MiB with when V8 happens to run a full GC, so each size runs
 * WATERLINE_BENCH_MEMORY_RUNS times (default 3; the sizes alternate, so a busier moment of the shared machine
 * falls on both) and the rows give the median run, with every run's figure in the note.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { cachedBenchFile, sharedScenesDir } from './benchScenes.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SIZES = (process.env.WATERLINE_BENCH_MEMORY_SIZES ?? '5000,20000').split(',').map(Number);
const RUNS = Math.max(1, Number(process.env.WATERLINE_BENCH_MEMORY_RUNS ?? 3));

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
  return cachedBenchFile(`chicago-${size}.tif`, (part) => execFileSync('gdal_translate', ['-q', '-outsize', String(size), String(size), '-r', 'bilinear', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'BIGTIFF=IF_SAFER', join(sharedScenesDir, 'spot-chicago-pan-stateplane-ft.tif'), part]));
}

function runChild(scene: string): ChildRun {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(here, 'segmentMemoryChild.ts'), scene], { maxBuffer: 1 << 20 }).toString();
  return JSON.parse(out.trim().split('\n').pop()!) as ChildRun;
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(sharedScenesDir)) throw new Error(`shared scenes not found at ${sharedScenesDir}`);
  const all = SIZES.map((size) => ({ size, scene: syntheticScene(size), runs: [] as ChildRun[] }));
  for (let k = 0; k < RUNS; k++) for (const s of all) s.runs.push(runChild(s.scene));
  /** The median run by peak RSS (the upper one of an even count), and every run's peak. */
  const median = (runs: ChildRun[]): { run: ChildRun; each: string } => {
    const sorted = [...runs].sort((a, b) => a.maxRssMiB - b.maxRssMiB);
    return { run: sorted[Math.floor(sorted.length / 2)], each: runs.map((r) => r.maxRssMiB.toFixed(1)).join(' / ') };
  };
  const [ref, ...rest] = all.map((s) => ({ size: s.size, ...median(s.runs) }));
  const rows: BenchResult[] = [
    {
      bench: 'memory',
      metric: `segment peak RSS, ${ref.size}² scene`,
      ours: ref.run.maxRssMiB,
      unit: 'MiB',
      higherIsBetter: false,
      note: `median of ${RUNS} runs (${ref.each} MiB); ${ref.run.tiles} tiles, ${ref.run.polygons} polygons (${ref.run.outputMiB.toFixed(0)} MiB of GeoJSON), ${ref.run.seconds.toFixed(1)} s (reference of the rows below)`,
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
      note: `median of ${RUNS} runs (${r.each} MiB); target: ratio ≥ 0.8 (within 25 %) and < 1024 MiB; ${r.run.tiles} tiles, ${r.run.polygons} polygons (${r.run.outputMiB.toFixed(0)} MiB of GeoJSON), ${r.run.seconds.toFixed(1)} s`,
    });
  }
  return rows;
}
