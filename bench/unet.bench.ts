/**
 * CPU inference speed of the built-in U-Net (tiles/s, 224 px tiles, batches of 8) through the Waterline
 * segmenter (onnxruntime-node, including HWC uint8 → NCHW float packing and invalid-pixel masking),
 * against the same network and weights in PyTorch eager mode on CPU (models/unet/bench_torch.py), same
 * run, same thread count.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import type { ModelTile } from '../src/core/model/segmenter.ts';
import { defaultUnetDir, loadUnetSegmenter } from '../src/adapters/onnx/unetSegmenter.ts';

const here = dirname(fileURLToPath(import.meta.url));
const THREADS = 2;
const BATCH = 8;
const BATCHES = 4;

function randomTiles(n: number, size: number): ModelTile[] {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  return Array.from({ length: n }, (_, k) => {
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = next();
    return { id: `t${k}`, size, rgb, valid: new Uint8Array(size * size).fill(1) };
  });
}

export default async function unetBench(): Promise<BenchResult[]> {
  const segmenter = await loadUnetSegmenter({ device: 'cpu', intraOpNumThreads: THREADS, maxBatch: BATCH });
  const size = segmenter.info.inputSize;
  const tiles = randomTiles(BATCH, size);
  await segmenter.segment(tiles, { prompt: '' }); // warm-up
  const t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) await segmenter.segment(tiles, { prompt: '' });
  const ours = (BATCH * BATCHES) / ((performance.now() - t0) / 1000);
  await segmenter.dispose();

  let reference: number | undefined;
  let note = `${size} px tiles, batch ${BATCH}, ${THREADS} threads`;
  const script = join(here, '..', 'models', 'unet', 'bench_torch.py');
  if (existsSync('/usr/bin/python3') && existsSync(join(defaultUnetDir, 'unet.pt'))) {
    try {
      const out = execFileSync('/usr/bin/python3', [script, '--batch', String(BATCH), '--batches', String(BATCHES), '--size', String(size), '--threads', String(THREADS)], { encoding: 'utf8' });
      reference = (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { tilesPerSecond?: number }).tilesPerSecond;
    } catch (err) {
      note += `; PyTorch reference failed: ${(err as Error).message.split('\n')[0]}`;
    }
  } else note += '; PyTorch reference skipped (/usr/bin/python3 or models/unet/unet.pt missing)';
  return [{
    bench: 'unet',
    metric: 'CPU tiles/s (224 px)',
    ours,
    reference,
    referenceName: 'PyTorch eager CPU',
    unit: 'tiles/s',
    higherIsBetter: true,
    note,
  }];
}
