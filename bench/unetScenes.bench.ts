/**
 * What a user waits for: one scene through `waterline segment` end to end (a fresh process: start, model load,
 * reading, inference, blending, vectorizing), for every built-in U-Net at its own tile overlap (a model may declare
 * one, e.g. waterline-unet11's 64, and then runs more tiles per scene), against the default (`waterline-unet`) in
 * the same run. tiles/s (bench/unet.bench.ts) cannot compare models that tile a scene differently; seconds per
 * scene can.
 *
 * Scene: the NAIP 2015 training scene (`../shared/data`; not a held-out scene) upsampled 3x bilinearly by
 * gdal_translate at bench time (2802 x 2169 px, RGB of its RGBN bands), cached in $TMPDIR/waterline-bench-scenes.
 * The default runs first and last; its reference is the mean of the two. Skipped when ../shared or gdal_translate
 * is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { cachedBenchFile, sharedScenesDir } from './benchScenes.ts';
import { builtinUnetList } from '../src/adapters/onnx/builtinUnets.ts';
import { DEFAULT_UNET_VERSION } from '../src/core/model/modelNames.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const source = join(sharedScenesDir, 'naip-dakota-2015-rgbn-cog.tif');

function benchScene(): string {
  return cachedBenchFile('naip-dakota-2015-x3.tif', (part) => execFileSync('gdal_translate', ['-q', '-of', 'GTiff', '-outsize', '300%', '300%', '-r', 'bilinear', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', source, part]));
}

interface SceneRun { seconds: number; tiles: number; overlap: number }

function segment(scene: string, model: string, out: string): SceneRun {
  const t0 = performance.now();
  execFileSync(process.execPath, [join(root, 'bin', 'waterline.mjs'), 'segment', scene, '-o', out, '--model', model, '--fusion', 'none', '--bands', '1,2,3'], { stdio: 'ignore' });
  const seconds = (performance.now() - t0) / 1000;
  const { waterline } = JSON.parse(readFileSync(out, 'utf8')) as { waterline: { tilesTotal: number; overlap: number } };
  return { seconds, tiles: waterline.tilesTotal, overlap: waterline.overlap };
}

export default async function unetScenesBench(): Promise<BenchResult[]> {
  if (!existsSync(source)) {
    return [{ bench: 'unetScenes', metric: 'skipped', ours: 0, unit: '', higherIsBetter: true, note: `no ${source} (../shared beside the checkout)` }];
  }
  const scene = benchScene();
  const work = mkdtempSync(join(tmpdir(), 'wl-unet-scenes-'));
  try {
    const out = join(work, 'water.geojson');
    const first = segment(scene, DEFAULT_UNET_VERSION, out);
    const others = builtinUnetList().filter(({ name }) => name !== DEFAULT_UNET_VERSION)
      .map(({ name }) => ({ name, run: segment(scene, name, out) }));
    const last = segment(scene, DEFAULT_UNET_VERSION, out);
    const reference = (first.seconds + last.seconds) / 2;
    const rows: BenchResult[] = [{
      bench: 'unetScenes',
      metric: `seconds per scene, ${DEFAULT_UNET_VERSION} (the default)`,
      ours: reference,
      unit: 's',
      higherIsBetter: false,
      note: `2802 x 2169 px, ${first.tiles} tiles at overlap ${first.overlap}; runs ${first.seconds.toFixed(2)} / ${last.seconds.toFixed(2)} s`,
    }];
    for (const { name, run } of others) {
      rows.push({
        bench: 'unetScenes',
        metric: `seconds per scene, ${name}`,
        ours: run.seconds,
        reference,
        referenceName: `${DEFAULT_UNET_VERSION} (same run)`,
        unit: 's',
        higherIsBetter: false,
        note: `${run.tiles} tiles at overlap ${run.overlap}${run.overlap !== first.overlap ? ' (its declared overlap)' : ''}`,
      });
    }
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
