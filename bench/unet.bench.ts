/**
 * CPU inference speed of the built-in U-Net v1 (`waterline-unet-v1`; tiles/s, 224 px tiles, batches of 8) through
 * the Waterline segmenter (onnxruntime-node, including HWC uint8 → NCHW float packing and invalid-pixel masking),
 * against the same network and weights in PyTorch eager mode on CPU (models/unet/bench_torch.py), same
 * run, same thread count.
 *
 * Further rows: every other built-in U-Net version (`waterline-unet5`, `-unet8`, `-unet11` — the default since round
 * 2 session 12: MobileNetV2-style encoder; `-unet9`: v1 and unet8 averaged at run time, an ensemble manifest naming
 * both directories; `-unet9-int8`: the same in int8) through
 * the same segmenter, against v1's figure from the same run; then each the way `waterline segment` runs it (two
 * one-thread sessions, two batches in flight), against v1 the same way; then the default with `--flip-views 2`
 * (each tile and its mirror image, core/model/flipViews.ts) against the default without;
 * WATERLINE_BENCH_UNET2=<model dir> times another exported U-Net instead (e.g. `models/unet2/train.py --export
 * DIR --from CKPT`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import type { ModelTile } from '../src/core/model/segmenter.ts';
import { loadUnetSegmenter } from '../src/adapters/onnx/unetSegmenter.ts';
import { readUnetModel } from '../src/adapters/onnx/unetModelDir.ts';
import { builtinUnetDir, builtinUnetList } from '../src/adapters/onnx/builtinUnets.ts';
import { DEFAULT_UNET_VERSION } from '../src/core/model/modelNames.ts';
import { flipAveragedSegmenter, type FlipViewCount } from '../src/core/model/flipViews.ts';

const here = dirname(fileURLToPath(import.meta.url));
const THREADS = 2;
const BATCH = 8;
const BATCHES = 8;
/** Issue 13's floor for the default model on 2 CPU cores. */
const DEFAULT_FLOOR = 25;

function randomTiles(n: number, size: number): ModelTile[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return Array.from({ length: n }, (_, k) => {
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = next();
    return { id: `t${k}`, size, rgb, valid: new Uint8Array(size * size).fill(1) };
  });
}

/**
 * Tiles per second of the U-Net in `modelPath` (default: the built-in model) and its input size. `bench`: one batch
 * at a time on THREADS threads (the PyTorch reference's way); `pipeline`: as `waterline segment` runs it — the
 * segmenter's own threads (two one-thread sessions on a 2-core CPU) and two batches in flight (segmentScene's
 * MODEL_AHEAD).
 */
async function tilesPerSecond(modelPath?: string, way: 'bench' | 'pipeline' = 'bench', flipViews: FlipViewCount = 1): Promise<{ rate: number; size: number }> {
  const loaded = await loadUnetSegmenter({ device: 'cpu', maxBatch: BATCH * flipViews, modelPath, ...(way === 'bench' ? { intraOpNumThreads: THREADS } : {}) });
  const segmenter = flipAveragedSegmenter(loaded, flipViews);
  const size = segmenter.info.inputSize;
  const tiles = randomTiles(BATCH, size);
  const inFlight = way === 'bench' ? 1 : 2;
  await Promise.all(Array.from({ length: inFlight }, () => segmenter.segment(tiles, { prompt: '' }))); // warm-up
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b += inFlight) await Promise.all(Array.from({ length: inFlight }, () => segmenter.segment(tiles, { prompt: '' })));
  const rate = (BATCH * BATCHES) / ((performance.now() - t0) / 1000);
  await loaded.dispose();
  return { rate, size };
}

export default async function unetBench(): Promise<BenchResult[]> {
  const candidates = process.env.WATERLINE_BENCH_UNET2
    ? [{ dir: process.env.WATERLINE_BENCH_UNET2, label: process.env.WATERLINE_BENCH_UNET2 }]
    : builtinUnetList().filter(({ name }) => name !== 'waterline-unet-v1')
      .map(({ name }) => ({ dir: builtinUnetDir(name), label: `${relative(join(here, '..'), builtinUnetDir(name))} (committed)` }));
  // The ONNX models back to back, before the PyTorch reference, so all see the same machine load.
  const { rate: ours, size } = await tilesPerSecond(builtinUnetDir('waterline-unet-v1'));
  const timed: { label: string; name: string; rate: number; pipeline: number }[] = [];
  const skipped: string[] = [];
  for (const { dir, label } of candidates) {
    if (existsSync(join(dir, 'manifest.json'))) {
      timed.push({ label, name: readUnetModel(dir).name, rate: (await tilesPerSecond(dir)).rate, pipeline: (await tilesPerSecond(dir, 'pipeline')).rate });
    } else skipped.push(label);
  }
  const v1Pipeline = (await tilesPerSecond(builtinUnetDir('waterline-unet-v1'), 'pipeline')).rate;
  const defaultDir = builtinUnetDir(DEFAULT_UNET_VERSION);
  const flipped = (await tilesPerSecond(defaultDir, 'pipeline', 2)).rate;
  const plainDefault = timed.find((t) => t.name === DEFAULT_UNET_VERSION)?.pipeline ?? (await tilesPerSecond(defaultDir, 'pipeline')).rate;

  let reference: number | undefined;
  let note = `waterline-unet-v1, ${size} px tiles, batch ${BATCH}, ${THREADS} threads`;
  const script = join(here, '..', 'models', 'unet', 'bench_torch.py');
  if (existsSync('/usr/bin/python3') && existsSync(join(builtinUnetDir('waterline-unet-v1'), 'unet.pt'))) {
    try {
      const out = execFileSync('/usr/bin/python3', [script, '--batch', String(BATCH), '--batches', String(BATCHES), '--size', String(size), '--threads', String(THREADS)], { encoding: 'utf8' });
      reference = (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { tilesPerSecond?: number }).tilesPerSecond;
    } catch (err) {
      note += `; PyTorch reference failed: ${(err as Error).message.split('\n')[0]}`;
    }
  } else note += '; PyTorch reference skipped (/usr/bin/python3 or models/unet/unet.pt missing)';
  if (skipped.length) note += `; skipped (no manifest.json): ${skipped.join(', ')}`;
  const rows: BenchResult[] = [{
    bench: 'unet',
    metric: 'CPU tiles/s (224 px)',
    ours,
    reference,
    referenceName: 'PyTorch eager CPU',
    unit: 'tiles/s',
    higherIsBetter: true,
    note,
  }];
  for (const { label, name, rate } of timed) {
    rows.push({
      bench: 'unet',
      metric: `CPU tiles/s (224 px), ${name}`,
      ours: rate,
      reference: ours,
      referenceName: 'waterline-unet-v1 (same run)',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: `${name === DEFAULT_UNET_VERSION ? `the default (waterline-unet; floor ${DEFAULT_FLOOR} tiles/s ${rate >= DEFAULT_FLOOR ? 'met' : 'NOT met'}); ` : ''}${label}; batch ${BATCH}, ${THREADS} threads`,
    });
  }
  for (const { name, pipeline } of timed) {
    rows.push({
      bench: 'unet',
      metric: `CPU tiles/s as segment runs it, ${name}`,
      ours: pipeline,
      reference: v1Pipeline,
      referenceName: 'waterline-unet-v1 the same way (same run)',
      unit: 'tiles/s',
      higherIsBetter: true,
      note: `${name === DEFAULT_UNET_VERSION ? `the default (floor ${DEFAULT_FLOOR} tiles/s ${pipeline >= DEFAULT_FLOOR ? 'met' : 'NOT met'}); ` : ''}the segmenter's own sessions and threads, two batches of ${BATCH} in flight`,
    });
  }
  rows.push({
    bench: 'unet',
    metric: `CPU tiles/s as segment runs it, ${DEFAULT_UNET_VERSION} --flip-views 2`,
    ours: flipped,
    reference: plainDefault,
    referenceName: `${DEFAULT_UNET_VERSION} without flip views (same run)`,
    unit: 'tiles/s',
    higherIsBetter: true,
    note: `each tile and its mirror image (core/model/flipViews.ts): about half the speed, validation IoU 0.662 -> 0.666; floor ${DEFAULT_FLOOR} tiles/s ${flipped >= DEFAULT_FLOOR ? 'met' : 'NOT met'} with it`,
  });
  return rows;
}
