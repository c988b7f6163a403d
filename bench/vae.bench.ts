/**
 * VAE decoder and encoder throughput (instances/s, batch of 64) on a random-weight checkpoint with the
 * real shapes, against the numpy float32 reference implementation (models/vae/make_random_vae.py)
 * timed in the same run on the same machine.
 */
import { execFileSync } from 'node:child_process';
import type { BenchResult } from './run.ts';
import { loadSegmentationVae } from '../src/adapters/vae/segmentationVae.ts';
import { PYTHON, VAE_SCRIPT, randomVaePath } from '../test/helpers/vaeFixture.ts';

const N = 64;

export default async function bench(): Promise<BenchResult[]> {
  const path = randomVaePath();
  const ref = JSON.parse(execFileSync(PYTHON, [VAE_SCRIPT, 'bench', path, String(N)]).toString()) as Record<string, number>;
  const vae = await loadSegmentationVae(path, { intraOpNumThreads: 2 });
  const codes = Array.from({ length: N }, (_, b) => Array.from({ length: 16 }, (_, k) => (b * 31 + k * 7) % 128));
  const masks = Array.from({ length: N }, (_, b) => Float32Array.from({ length: 4096 }, (_, k) => ((k * (b + 3)) % 7 < 3 ? 1 : 0)));
  await vae.decode(codes.slice(0, 2));
  await vae.encode(masks.slice(0, 2));
  let t = performance.now();
  await vae.decode(codes);
  const decode = N / ((performance.now() - t) / 1000);
  t = performance.now();
  await vae.encode(masks);
  const encode = N / ((performance.now() - t) / 1000);
  await vae.dispose();
  return [
    { bench: 'vae', metric: `decode instances/s (batch ${N})`, ours: decode, reference: ref.float32, referenceName: 'numpy float32', unit: 'inst/s', higherIsBetter: true, note: `numpy float64 ${ref.float64.toFixed(1)}` },
    { bench: 'vae', metric: `encode instances/s (batch ${N})`, ours: encode, reference: ref.float32_encode, referenceName: 'numpy float32', unit: 'inst/s', higherIsBetter: true },
  ];
}
